// Freshness: the newest commit as a handle knows it, and how a refresh brings that
// up to date. A commit only ever appends at the head's end, so while the head's
// commit record is still in the file byte for byte with nothing after it, nothing
// changed (see HeadRecord); otherwise the refresh scans on, from the superblock if
// the head is gone: a commit readable between its write and a failed sync is cut
// off by its writer, and the handle must go back (a lost commit).

import type { DurableFile } from './durable-file.js'
import { DbdbError } from './errors.js'
import type { FileIO } from './file-io.js'
import { baseHead, type FileHead, type RecordReader } from './file-reader.js'
import { HeadRecord, LOOK_CLEAN, LOOK_GONE, REFRESH_ATTEMPTS } from './head-record.js'
import type { Superblock } from './superblock.js'

export class KnownHead {
  readonly #path: string
  readonly #io: FileIO
  readonly #fd: number
  readonly #reader: RecordReader
  readonly #superblock: Superblock
  readonly #file: DurableFile
  /** The bytes of the head's commit record, which a refresh compares with the file. */
  readonly #headRecord: HeadRecord
  #fileId: Buffer = Buffer.alloc(8)
  /** txid of this file's starting point (0 unless written by compaction). */
  #base = 0
  #head: FileHead = baseHead(0)
  /** Whether the bytes at the head's end were zeros (reserved space) or the end of the file when last looked at. */
  #tailClean = true
  /**
   * Whether this handle knows what lies past the zeros at the head's end (a header of
   * zeros says nothing of the bytes after it): it cut the tail, or looked past the
   * zeros (see prepareToWrite), and since then only commits were added at the head's
   * end, its own or other writers' (who looked, too, before they wrote). Lost at open
   * and when the head vanishes.
   */
  #tailLooked = false
  /** Set once the file at the path is another one (compaction replaced it): the handle must reopen. */
  #moved = false

  constructor(path: string, io: FileIO, fd: number, parts: { reader: RecordReader; superblock: Superblock; file: DurableFile }) {
    this.#path = path
    this.#io = io
    this.#fd = fd
    this.#reader = parts.reader
    this.#superblock = parts.superblock
    this.#file = parts.file
    this.#headRecord = new HeadRecord(io, fd)
  }

  /** The head's commit record bytes (recovery looks at the head through it). */
  get record(): HeadRecord {
    return this.#headRecord
  }

  get head(): FileHead {
    return this.#head
  }

  get tailClean(): boolean {
    return this.#tailClean
  }

  get tailLooked(): boolean {
    return this.#tailLooked
  }

  get moved(): boolean {
    return this.#moved
  }

  /** The state recovery found at open. */
  start(found: { fileId: Buffer; base: number; head: FileHead; tailClean: boolean }): void {
    this.#fileId = found.fileId
    this.#base = found.base
    this.#head = found.head
    this.#tailClean = found.tailClean
    this.#tailLooked = false
  }

  /** This handle committed `head`, whose commit record is `record`, at the end of the file. */
  committed(head: FileHead, record: Buffer): void {
    this.#head = head
    this.#headRecord.keep(record)
    this.#tailClean = true
    this.#tailLooked = true
  }

  /** What followed the head was cut off: the head is the end of the file. */
  cutTail(): void {
    this.#tailClean = true
    this.#tailLooked = true
  }

  /** The zeros at the head's end were looked past, and nothing else follows them (reserved space). */
  lookedPast(): void {
    this.#tailLooked = true
  }

  /** Bytes that are not zero follow the zeros at the head's end: a tail to cut off like any other. */
  tailNotClean(): void {
    this.#tailClean = false
  }

  /** After commits of this handle's were cut off: `head` (the last one before them) is the head again. */
  moveBackTo(head: FileHead): void {
    this.#head = head
    this.#headRecord.forget()
    this.#tailLooked = false
  }

  /** After the rename that markMoved announced: the file is no longer the database. */
  retire(): void {
    this.#moved = true
  }

  /**
   * Brings the head up to the newest commit in the file. Cheap when nothing changed: one
   * pread of the head's own commit record and the record header after it. While the
   * record is still there, byte for byte, and zeros (space a writer reserved) or the
   * end of the file follow it, nobody committed: commits only ever append at the
   * head's end. The record itself is compared because a commit can vanish: another
   * process's commit is readable between its write and its sync, and a failed sync
   * cuts it off; zeros, or other transactions, may then stand where it ended.
   * Returns the head found gone, if it was (a lost commit).
   */
  refresh(): FileHead | undefined {
    let lost: FileHead | undefined
    for (let attempt = 1; ; attempt++) {
      const seen = this.#head
      const look = this.#headRecord.look(seen, this.#fileId)
      if (look === LOOK_CLEAN) {
        this.#tailClean = true
        break
      }
      if (attempt > REFRESH_ATTEMPTS) {
        throw new DbdbError('DBDB_IO', `${this.#path}: the newest commit kept vanishing while it was read (commits failing)`)
      }
      const size = this.#io.fstatSync(this.#fd).size
      const { slots } = this.#superblock.read()
      let head: FileHead
      if (look === LOOK_GONE) {
        // Never scan on from a head that is gone: start again from the slots, which
        // only ever point at commits that were synced by a writer holding the lock.
        if (attempt === 1) lost = seen
        this.#tailLooked = false
        head = this.#superblock.newestAbove(slots, this.#fileId, -1) ?? baseHead(this.#base)
      } else {
        head = this.#superblock.newestAbove(slots, this.#fileId, seen.txid) ?? seen
      }
      head = this.#reader.scan(head, this.#fileId, size).head
      this.#head = head
      this.#headRecord.forget()
      this.#file.sawSize(size)
      const after = this.#headRecord.look(head, this.#fileId)
      // Gone as soon as scanned: another commit failed meanwhile; look again.
      if (after === LOOK_GONE) continue
      this.#tailClean = after === LOOK_CLEAN
      if (!this.#tailClean && this.#reader.movedRecordAt(head.end, size) && this.#file.replaced()) this.#moved = true
      this.#superblock.markDamagedKept(slots, this.#head, this.#fileId)
      break
    }
    return lost
  }
}
