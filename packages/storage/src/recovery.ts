// Recovery at open: finding the newest intact commit of a database file from its
// superblock slots and the records after the one they point at, telling a torn tail
// (cut off by the next writer) from damage that intact commits follow (which no
// open may cut off), and finishing a file whose creation was cut short.

import { type DamageReport, damaged, lookPast, newestOf, ZERO_LOOK } from './damage.js'
import type { DurableFile } from './durable-file.js'
import { corrupt, DbdbError, ioError } from './errors.js'
import { newFileHeader } from './file-create.js'
import type { FileIO } from './file-io.js'
import type { FileLock } from './file-lock.js'
import type { FileHead, RecordReader } from './file-reader.js'
import { DATA_START, decodeSlot, hasMagic, MAGIC, type Slot, sameBytes } from './format.js'
import { type HeadRecord, LOOK_CLEAN, LOOK_GONE, LOOK_MORE } from './head-record.js'
import type { StorageMeta } from './storage.js'
import type { Superblock } from './superblock.js'

/** What recover() reads and writes through: the parts of the handle being opened. */
export interface RecoverySource {
  readonly path: string
  readonly io: FileIO
  readonly fd: number
  readonly reader: RecordReader
  readonly superblock: Superblock
  /** Left holding the bytes of the recovered head's commit record. */
  readonly headRecord: HeadRecord
  readonly readOnly: boolean
  /** To write a new file's superblock into an empty or half-made one, holding the writer lock. */
  readonly lock: FileLock
  readonly lockTimeoutMs: number
  readonly file: DurableFile
}

/** The state a handle starts from. */
export interface Recovered {
  readonly fileId: Buffer
  readonly meta: StorageMeta
  /** txid of the file's starting point (0 unless written by compaction). */
  readonly base: number
  /** The newest intact commit. */
  readonly head: FileHead
  /** Where the commit the superblock slot points at ends: the file is on disk up to there. */
  readonly syncedEnd: number
  /** Whether the bytes at head.end are zeros (reserved space) or the end of the file. */
  readonly tailClean: boolean
}

/**
 * Recovers the newest intact commit, trying the slots newest first; a slot that
 * does not check out falls back to the other. Creates the superblock of an empty
 * file (with `metaForNewFile`) unless read-only.
 */
export function recover(src: RecoverySource, metaForNewFile: StorageMeta): Recovered {
  const { io, fd, reader, superblock, headRecord } = src
  let read = superblock.read()
  if (read.bytes < DATA_START) {
    const size = io.fstatSync(fd).size
    if (size < DATA_START && isHalfMade(io, fd, size)) {
      if (src.readOnly) {
        throw new DbdbError('DBDB_NOT_A_DATABASE', `${src.path} is empty, and it was opened read-only`)
      }
      try {
        initialize(src, metaForNewFile)
      } catch (err) {
        throw ioError(err, `initializing the empty file ${src.path}`)
      }
    }
    // Read again in any case: another opener may have finished the file since the
    // first read (then it is no longer half-made, and that read saw no slots).
    read = superblock.read()
  }
  const slots = read.slots
  if (slots.every((s) => s === undefined)) {
    const head = Buffer.alloc(MAGIC.length)
    io.readSync(fd, head, 0, head.length, 0)
    if (!hasMagic(head)) throw new DbdbError('DBDB_NOT_A_DATABASE', `${src.path} is not a DBDB database`)
    throw new DbdbError('DBDB_CORRUPT', `${src.path}: both superblock slots are damaged`)
  }
  const candidates = slots.filter((s): s is Slot => s !== undefined).sort((a, b) => b.txid - a.txid)
  let lastError: unknown
  let refused: DamageReport | undefined
  for (const slot of candidates) {
    try {
      const fileId = slot.fileId
      let head = superblock.validate(slot, fileId)
      const syncedEnd = head.end
      headRecord.forget()
      let look = headRecord.look(head, fileId)
      if (look === LOOK_GONE) throw corrupt(slot.address, 'commit record changed while read')
      if (look === LOOK_MORE) {
        // Commits after the slot's, or a torn tail. Skipped when nothing follows (a
        // file closed cleanly): a scan that stops at once still costs a read and,
        // in a new process, compiling it. No fstat: the scan looks the size up only
        // if it needs it, and the first commit that may grow the file does (DurableFile.grows).
        const scanned = reader.scan(head, fileId)
        head = scanned.head
        if (scanned.stop === 'other' || (scanned.stop === 'zeros' && reader.nonZeroWithin(scanned.stopAt, ZERO_LOOK))) {
          // DURABILITY: short of the end of the file: a torn tail, or damage that
          // intact commits follow, which no open may cut off (see lookPast). Zeros
          // are reserved space, which runs to the end of the file; only zeros with
          // something after them nearby (a hole) are looked past here, so an open
          // does not read all of a large file's reserved space. verify() looks past all.
          const past = lookPast(reader, fileId, scanned, io.fstatSync(fd).size)
          head = past.scanned.head
          const damage = past.damage[0]
          if (damage !== undefined && !damage.torn) {
            if (!src.readOnly) {
              refused = damage
              break
            }
            // Read-only: the newest intact commit. Its records are checked one by one
            // as they are read, so a read that reaches the damage fails DBDB_CORRUPT.
            head = newestOf(past.later)
          }
        }
        headRecord.forget()
        // Gone already (a commit whose sync failed meanwhile): the next refresh recovers.
        look = headRecord.look(head, fileId)
      }
      superblock.markDamagedKept(slots, head, fileId)
      return { fileId, meta: slot.meta, base: slot.base, head, syncedEnd, tailClean: look === LOOK_CLEAN }
    } catch (err) {
      if (!(err instanceof DbdbError) || err.code !== 'DBDB_CORRUPT') throw err
      lastError = err
    }
  }
  if (refused !== undefined) throw damaged(src.path, refused)
  throw lastError
}

/** Writes a new file's superblock into the empty or half-made file, unless another opener finished it first. */
function initialize(src: RecoverySource, meta: StorageMeta): void {
  const { io, fd } = src
  src.lock.acquire(src.lockTimeoutMs)
  try {
    const size = io.fstatSync(fd).size
    if (size >= DATA_START || !isHalfMade(io, fd, size)) return // someone else finished it first
    const header = newFileHeader(meta, 0)
    src.file.writeAt(header, 0)
    io.fdatasyncSync(fd)
  } finally {
    src.lock.releaseQuietly()
  }
}

/** Zero bytes, or the start of a superblock whose creation was cut short. */
function isHalfMade(io: FileIO, fd: number, size: number): boolean {
  if (size === 0) return true
  const buf = Buffer.alloc(size)
  io.readSync(fd, buf, 0, size, 0)
  const prefix = buf.subarray(0, Math.min(size, MAGIC.length))
  return sameBytes(prefix, MAGIC.subarray(0, prefix.length)) && decodeSlot(buf) === undefined
}
