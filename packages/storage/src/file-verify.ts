// What FileStorage.verify reports: the superblock slots, the commits found, the
// tail, the reserved space and any damage.

import { type DamageReport, describeDamage, lookPast } from './damage.js'
import { isDbdbError } from './errors.js'
import type { FileIO } from './file-io.js'
import { baseHead, type FileHead, publicHead, type RecordReader } from './file-reader.js'
import type { Head } from './storage.js'
import type { Superblock } from './superblock.js'

/** The tail is read back in chunks of this size. */
const READ_CHUNK = 1024 * 1024

export interface SlotReport {
  readonly ok: boolean
  /** The transaction the slot points at, when it could be read. */
  readonly txid?: number
  /** Why the slot is not usable. */
  readonly note?: string
}

export interface StorageReport {
  /** Size of the file in bytes. */
  readonly fileBytes: number
  /** The newest intact commit. */
  readonly head: Head
  /** Each superblock slot. One slot torn by a crash is harmless: the next commit rewrites it. */
  readonly slots: readonly SlotReport[]
  /** Transactions found intact, in order, scanning the file from its first record. */
  readonly commits: number
  /** Bytes after the newest commit: an interrupted transaction, cut off by the next writer. */
  readonly tailBytes: number
  /** Zero bytes at the end of the file: space reserved for the next commits (see ARCHITECTURE.md). */
  readonly reservedBytes: number
  /**
   * Places where the file holds something that is not a valid transaction and intact
   * commits follow (see DamageReport). Those with `torn` false are also in `problems`.
   */
  readonly damage: readonly DamageReport[]
  /** Damage. Empty when the file is sound. */
  readonly problems: readonly string[]
}

/** What verifyFile reads: the parts of the handle being checked. */
export interface VerifySource {
  readonly io: FileIO
  readonly fd: number
  readonly reader: RecordReader
  readonly superblock: Superblock
  readonly fileId: Buffer
  /** txid of the file's starting point, where a scan of the whole file starts. */
  readonly base: number
  /** The handle's head, just refreshed. */
  readonly head: FileHead
  /** Whether the handle holds the writer lock (then nothing past its head is a commit). */
  readonly locked: boolean
}

/**
 * FileStorage.verify: reads both slots and scans the whole file from its first
 * record, then reads the tail back to tell bytes of an interrupted transaction from
 * reserved zeros.
 */
export function verifyFile(src: VerifySource): StorageReport {
  const { io, fd, reader, superblock, fileId } = src
  const head = publicHead(src.head)
  const size = io.fstatSync(fd).size
  const problems: string[] = []
  const slots = superblock.read().slots.map((slot, i): SlotReport => {
    if (slot === undefined) return { ok: false, note: 'does not validate (torn by a crash, or damaged)' }
    try {
      superblock.validate(slot, fileId)
      return { ok: true, txid: slot.txid }
    } catch (err) {
      // A read the OS failed says nothing about the bytes: not damage, an error.
      if (isDbdbError(err, 'DBDB_IO')) throw err
      const note = (err as Error).message
      if (slot.txid >= head.txid) problems.push(`superblock slot ${i} points at transaction ${slot.txid}, which is damaged: ${note}`)
      return { ok: false, txid: slot.txid, note }
    }
  })
  const past = lookPast(reader, fileId, reader.scan(baseHead(src.base), fileId, size), size)
  const full = past.scanned
  for (const d of past.damage) if (!d.torn) problems.push(describeDamage(d))
  if (past.damage.length === 0 && full.head.txid < head.txid) {
    problems.push(
      `transaction ${full.head.txid + 1} (from address ${full.stoppedAt}) is damaged; the history before transaction ${head.txid} cannot be replayed`,
    )
  }
  const end = src.locked ? src.head.end : full.head.txid === head.txid ? full.head.end : src.head.end
  const dataEnd = Math.max(end, lastNonZero(reader, end, size))
  return {
    fileBytes: size,
    head,
    slots,
    commits: full.head.txid,
    tailBytes: dataEnd - end,
    reservedBytes: size - dataEnd,
    damage: past.damage,
    problems,
  }
}

/** One past the last byte in [from, to) that is not zero, or `from` when all are. */
function lastNonZero(reader: RecordReader, from: number, to: number): number {
  const chunk = Buffer.alloc(Math.min(READ_CHUNK, Math.max(0, to - from)))
  for (let stop = to; stop > from; ) {
    const start = Math.max(from, stop - chunk.length)
    const part = chunk.subarray(0, stop - start)
    reader.readAt(part, start)
    for (let i = part.length - 1; i >= 0; i--) if (part[i] !== 0) return start + i + 1
    stop = start
  }
  return from
}
