// Reading a database file: one record by address (checked: bounds, type, crc),
// commit records, and the forward scan that recovery and refresh use to find
// whole transactions after a known commit. Never writes.

import { crc32 } from 'node:zlib'
import { corrupt } from './errors.js'
import type { FileIO } from './file-io.js'
import {
  COMMIT_PAYLOAD,
  COMMIT_RECORD,
  type CommitRecord,
  checkRecord,
  DATA_START,
  decodeCommitPayload,
  RECORD_COMMIT,
  RECORD_DATA,
  RECORD_HEADER,
  RECORD_MOVED,
  sameBytes,
} from './format.js'
import type { Head } from './storage.js'

/**
 * A read fetches this much at once, so a typical node needs one pread, not two: a
 * full leaf of the B+ tree's default order with 16-byte keys and 100-byte values
 * is a little under 8 KiB (4 KiB took two preads for most leaves read from the file).
 */
const READ_AHEAD = 8192
/**
 * A scan reads the tail in windows that start small and grow fourfold up to the
 * largest: at open the tail past the last checkpoint is usually nothing (zeros or
 * the end of the file), and a 1 MiB first read was a large part of a reopen
 * (the copy plus faulting in a fresh 1 MiB buffer).
 */
const SCAN_WINDOW_FIRST = 16 * 1024
const SCAN_WINDOW_MAX = 1024 * 1024
/** laterCommits reads the rest of the file this much at a time. */
const SEARCH_CHUNK = 1024 * 1024
/** What nonZeroWithin compares the bytes it reads with. */
const ZEROS = Buffer.alloc(READ_AHEAD)

export interface FileHead extends Head {
  /** First byte after this commit's record. */
  readonly end: number
}

/** What a scan found where it stopped: the end of the file, a record header of zeros, or anything else. */
export type ScanStop = 'end' | 'zeros' | 'other'

export interface ScanResult {
  /** The newest commit the scan reached. */
  readonly head: FileHead
  /** Where the transaction it stopped in starts (head.end). */
  readonly stoppedAt: number
  readonly stop: ScanStop
  /** Where the thing it stopped at is (stoppedAt, or past it when a transaction's first records were whole). */
  readonly stopAt: number
}

/** An intact commit found past a place where a scan stopped. */
export interface LaterCommit extends FileHead {
  readonly txStart: number
  /** COMMIT_* flags of its commit record. */
  readonly flags: number
}

/** The head of a file with no commit yet: txid `base`, nothing stored. */
export function baseHead(base: number): FileHead {
  return Object.freeze({ txid: base, root: 0, time: 0, address: 0, end: DATA_START })
}

/** The Head of `h`, without what only the storage uses (its end). */
export function publicHead(h: Head): Head {
  return { txid: h.txid, root: h.root, time: h.time, address: h.address }
}

/** The commits from `head` back along the commit chain, newest first, read from before `limit`. */
export function* commitChain(reader: RecordReader, head: Head, limit: number, fileId: Buffer): IterableIterator<Head> {
  while (head.txid > 0) {
    yield head
    const record = reader.readCommit(head.address, limit, fileId)
    if (record.prev === 0) return
    const prev = reader.readCommit(record.prev, limit, fileId)
    // Txids only grow along the chain; compaction's catch-up may skip some.
    if (prev.txid >= head.txid || prev.address >= head.address) {
      throw corrupt(record.prev, 'commit chain is broken')
    }
    head = publicHead(prev)
  }
}

export class RecordReader {
  readonly #io: FileIO
  readonly #fd: number
  /** Read-ahead buffer, reused: most records arrive in one pread. */
  readonly #scratch = Buffer.allocUnsafeSlow(READ_AHEAD)

  constructor(io: FileIO, fd: number) {
    this.#io = io
    this.#fd = fd
  }

  /**
   * Follows whole transactions after `from`: each must be a run of intact records
   * ending in a commit record that names the next txid, links to the previous
   * commit, starts where it ends, and whose crc covers every byte of the run.
   * Stops at the first thing that is not such a transaction, and says where that is
   * (the start of the transaction it stopped in) and what it found there: the end of
   * the file, a record header of zeros (reserved space), or anything else. Only the
   * last can be damage with intact commits after it (see laterCommits).
   */
  scan(from: FileHead, fileId: Buffer, size?: number): ScanResult {
    // Without a size (at open), it is looked up only if a record runs past what has
    // been read: usually the tail holds nothing, and the first fstat in a process is a
    // noticeable part of a reopen. With one, nothing past it is read.
    let known = size
    const sizeNow = (): number => (known ??= this.#io.fstatSync(this.#fd).size)
    const window = new ScanWindow(this.#io, this.#fd, size ?? Infinity)
    let head = from
    let pos = from.end
    let txStart = pos
    let txCrc = 0
    let stop: ScanStop = 'other'
    for (;;) {
      const header = window.bytes(pos, RECORD_HEADER)
      if (header.length !== RECORD_HEADER) {
        stop = 'end' // the end of the file: nothing can follow
        break
      }
      const length = header.readUInt32LE(0)
      const type = header[4]
      if (type !== RECORD_DATA && type !== RECORD_COMMIT) {
        // zeros (reserved space), or a torn write, or damage
        if (length === 0 && type === 0 && header.readUInt32LE(5) === 0) stop = 'zeros'
        break
      }
      // A length that runs past the end of the file is a torn header: checked against
      // the file's size, not believed (no allocation from it), unless the bytes are in hand.
      if (!window.holds(pos, RECORD_HEADER + length) && length > sizeNow() - pos - RECORD_HEADER) break
      const whole = window.bytes(pos, RECORD_HEADER + length)
      if (whole.length !== RECORD_HEADER + length) break
      let payload: Buffer
      try {
        payload = checkRecord(whole, pos)
      } catch {
        break
      }
      if (type === RECORD_DATA) {
        txCrc = crc32(whole, txCrc)
        pos += whole.length
        continue
      }
      let record: CommitRecord
      try {
        record = decodeCommitPayload(payload, pos)
      } catch {
        break
      }
      if (
        !sameBytes(record.fileId, fileId) ||
        record.txid <= head.txid ||
        record.prev !== head.address ||
        record.txStart !== txStart ||
        record.txCrc !== txCrc
      ) {
        break
      }
      pos += whole.length
      head = Object.freeze({ txid: record.txid, root: record.root, time: record.time, address: record.address, end: pos })
      txStart = pos
      txCrc = 0
    }
    return { head, stoppedAt: txStart, stop, stopAt: pos }
  }

  /**
   * Every intact commit in [from, size) newer than `after`, in file order: commit
   * records of this file whose record checks out, whose txid is greater, whose
   * transaction starts at or after `from`, and whose txCrc matches every byte of that
   * transaction. Recovery asks this only where a scan stopped short of the end, to
   * tell a torn tail (nothing intact follows) from damage (intact commits follow).
   * Reads everything from `from` to `size` (twice where commits are found).
   */
  laterCommits(after: FileHead, from: number, fileId: Buffer, size: number): LaterCommit[] {
    const found: LaterCommit[] = []
    // Each read overlaps the next by a commit record less one byte, so a record that
    // straddles two reads is seen whole in the second.
    const buf = Buffer.allocUnsafe(SEARCH_CHUNK + COMMIT_RECORD - 1)
    for (let at = from; at + COMMIT_RECORD <= size; at += SEARCH_CHUNK) {
      const n = Math.min(buf.length, size - at)
      this.readAt(buf.subarray(0, n), at)
      const chunk = buf.subarray(0, n)
      for (let i = chunk.indexOf(fileId, RECORD_HEADER); i !== -1; i = chunk.indexOf(fileId, i + 1)) {
        const offset = i - RECORD_HEADER
        if (offset >= SEARCH_CHUNK) break // seen again, whole, in the next read
        if (offset + COMMIT_RECORD > n) break
        const rec = chunk.subarray(offset, offset + COMMIT_RECORD)
        if (rec.readUInt32LE(0) !== COMMIT_PAYLOAD || rec[4] !== RECORD_COMMIT) continue
        const address = at + offset
        let record: CommitRecord
        try {
          record = decodeCommitPayload(checkRecord(rec, address), address)
        } catch {
          continue
        }
        if (record.txid <= after.txid || record.txStart < from) continue
        if (this.#crcOf(record.txStart, address) !== record.txCrc) continue
        found.push(
          Object.freeze({
            txid: record.txid,
            root: record.root,
            time: record.time,
            address,
            end: address + COMMIT_RECORD,
            txStart: record.txStart,
            flags: record.flags,
          }),
        )
      }
    }
    return found
  }

  /**
   * Whether any of the bytes [position, position + length) that the file holds is not
   * zero. Reads through the read-ahead buffer (a writer asks this at its lock, where a
   * fresh buffer of the whole length would cost more than the reads).
   */
  nonZeroWithin(position: number, length: number): boolean {
    const buf = this.#scratch
    for (let at = position, end = position + length; at < end; ) {
      const n = this.#io.readSync(this.#fd, buf, 0, Math.min(buf.length, end - at), at)
      if (n === 0) return false
      if (!buf.subarray(0, n).equals(ZEROS.subarray(0, n))) return true
      at += n
    }
    return false
  }

  /** crc32 of the bytes [start, end). */
  #crcOf(start: number, end: number): number {
    const buf = Buffer.allocUnsafe(Math.min(SEARCH_CHUNK, end - start))
    let crc = 0
    for (let at = start; at < end; ) {
      const part = buf.subarray(0, Math.min(buf.length, end - at))
      this.readAt(part, at)
      crc = crc32(part, crc)
      at += part.length
    }
    return crc
  }

  /** Whether a MOVED record (see markMoved) stands at `position` (zeros may follow it: reserved space). */
  movedRecordAt(position: number, size: number): boolean {
    if (size - position < RECORD_HEADER) return false
    const rec = Buffer.alloc(RECORD_HEADER)
    this.readAt(rec, position)
    if (rec[4] !== RECORD_MOVED) return false
    try {
      checkRecord(rec, position)
      return true
    } catch {
      return false
    }
  }

  /** Reads and checks the record at `address`, which must end by `limit`. */
  readRecord(address: number, limit: number, type: number): Buffer {
    if (!Number.isSafeInteger(address) || address < DATA_START || address + RECORD_HEADER > limit) {
      throw corrupt(address, 'address outside the committed file')
    }
    const first = Math.min(READ_AHEAD, limit - address)
    const head = this.#scratch.subarray(0, first)
    this.readAt(head, address)
    const length = head.readUInt32LE(0)
    if (length > limit - address - RECORD_HEADER) throw corrupt(address, `length ${length} runs past the end`)
    if (head[4] !== type) throw corrupt(address, `record type ${head[4]} where ${type} was expected`)
    // MEMORY: the record gets a buffer of exactly its size. A payload handed out as a
    // view of a larger read buffer would pin all of it for as long as a cached node
    // (whose keys are views of the payload) lives: 4 KiB for a 40-byte node.
    const rec = Buffer.allocUnsafeSlow(RECORD_HEADER + length)
    rec.set(head.subarray(0, Math.min(first, rec.length)))
    if (rec.length > first) this.readAt(rec.subarray(first), address + first)
    return checkRecord(rec, address)
  }

  readCommit(address: number, limit: number, fileId: Buffer): CommitRecord {
    const record = decodeCommitPayload(this.readRecord(address, limit, RECORD_COMMIT), address)
    if (!sameBytes(record.fileId, fileId)) {
      throw corrupt(address, 'commit record belongs to another file')
    }
    return record
  }

  readAt(buf: Buffer, position: number): void {
    let done = 0
    while (done < buf.length) {
      const n = this.#io.readSync(this.#fd, buf, done, buf.length - done, position + done)
      if (n === 0) throw corrupt(position, 'file ends early')
      done += n
    }
  }
}

/** Sequential reads over the tail of the file, in windows growing up to SCAN_WINDOW_MAX. */
class ScanWindow {
  readonly #io: FileIO
  readonly #fd: number
  #buf = Buffer.alloc(0)
  #start = 0
  readonly #limit: number
  #window = SCAN_WINDOW_FIRST

  constructor(io: FileIO, fd: number, limit: number) {
    this.#io = io
    this.#fd = fd
    this.#limit = limit
  }

  /** Whether the bytes [position, position + length) are in the current window. */
  holds(position: number, length: number): boolean {
    return position >= this.#start && position + length <= this.#start + this.#buf.length
  }

  /** The bytes [position, position + length), fewer where the file (or the limit) ends first. */
  bytes(position: number, length: number): Buffer {
    if (this.holds(position, length)) {
      return this.#buf.subarray(position - this.#start, position - this.#start + length)
    }
    const want = Math.max(0, Math.min(Math.max(length, this.#window), this.#limit - position))
    this.#window = Math.min(this.#window * 4, SCAN_WINDOW_MAX)
    const buf = Buffer.allocUnsafe(want)
    let done = 0
    while (done < want) {
      const n = this.#io.readSync(this.#fd, buf, done, want - done, position + done)
      if (n === 0) break
      done += n
    }
    this.#buf = buf.subarray(0, done)
    this.#start = position
    return this.#buf.subarray(0, Math.min(length, done))
  }
}
