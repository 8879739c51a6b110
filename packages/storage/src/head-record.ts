// The head's commit record, and the one look at the file that tells whether the head
// a handle knows is still the newest commit (see KnownHead for the refresh). A commit
// only ever appends at the head's end, so one pread of the head's commit record and
// the record header after it tells: the record still there byte for byte and nothing
// after it, nothing changed. The record itself is compared because a
// commit can vanish: another process's commit is readable between its write and its
// sync, and a failed sync cuts it off; zeros, or other transactions, may then stand
// where it ended.

import type { FileIO } from './file-io.js'
import type { FileHead } from './file-reader.js'
import { COMMIT_RECORD, checkRecord, decodeCommitPayload, RECORD_COMMIT, RECORD_HEADER, sameBytes } from './format.js'

/** What HeadRecord.look found: the head is gone (or not as this handle knows it)... */
export const LOOK_GONE = 0
/** ...the head is there and nothing follows it (the end of the file, or reserved zeros)... */
export const LOOK_CLEAN = 1
/** ...the head is there and something follows it (commits, a torn tail, a MOVED record). */
export const LOOK_MORE = 2
/** A refresh that finds the head it just scanned to gone at once (commits failing meanwhile) scans again, this often at most. */
export const REFRESH_ATTEMPTS = 8

/**
 * The bytes of a handle's head's commit record, as it wrote or read them; none for
 * the base head, or until read. A refresh compares them with the file: after a
 * failed commit is cut off, other bytes (zeros, another transaction) take its place.
 */
export class HeadRecord {
  readonly #io: FileIO
  readonly #fd: number
  #headRecord: Buffer | undefined
  /** Where look() reads the head's commit record and the record header after it. */
  #probe = Buffer.alloc(COMMIT_RECORD + RECORD_HEADER)

  constructor(io: FileIO, fd: number) {
    this.#io = io
    this.#fd = fd
  }

  /** The head changed to one whose record bytes are not known yet: the next look() reads and checks them. */
  forget(): void {
    this.#headRecord = undefined
  }

  /** The head's commit record is `record` (this handle just wrote it). */
  keep(record: Buffer): void {
    if (this.#headRecord?.length === record.length) record.copy(this.#headRecord)
    else this.#headRecord = Buffer.from(record)
  }

  /**
   * One pread: `head`'s commit record and the record header after it (for the base
   * head, only that header). The record must be the kept one byte for byte; with no
   * bytes known yet, a valid commit record of `head` in file `fileId`, whose bytes
   * are then kept.
   */
  look(head: FileHead, fileId: Buffer): number {
    const start = head.address === 0 ? head.end : head.address
    const recordLength = head.end - start
    const want = recordLength + RECORD_HEADER
    if (this.#probe.length < want) this.#probe = Buffer.alloc(want)
    const probe = this.#probe
    const n = this.#io.readSync(this.#fd, probe, 0, want, start)
    if (recordLength > 0) {
      if (n < recordLength) return LOOK_GONE
      const record = probe.subarray(0, recordLength)
      if (this.#headRecord !== undefined) {
        if (!sameBytes(record, this.#headRecord)) return LOOK_GONE
      } else {
        if (!isCommitOf(record, head, fileId)) return LOOK_GONE
        this.keep(record)
      }
    }
    for (let i = recordLength; i < n; i++) if (probe[i] !== 0) return LOOK_MORE
    return LOOK_CLEAN
  }
}

/** Whether `record` is an intact commit record of file `fileId` describing `head`. */
function isCommitOf(record: Buffer, head: FileHead, fileId: Buffer): boolean {
  if (record[4] !== RECORD_COMMIT) return false
  try {
    const c = decodeCommitPayload(checkRecord(record, head.address), head.address)
    return sameBytes(c.fileId, fileId) && c.txid === head.txid && c.root === head.root && c.time === head.time
  } catch {
    return false
  }
}
