// The database file as one handle writes it: positioned writes that must make
// progress, what is known to be on disk and the size last seen, zeros reserved past
// a commit that grew the file, cutting off what a failure left, and the fence that
// keeps the handle from writing again after a write or sync failed.

import * as path from 'node:path'
import { DbdbError } from './errors.js'
import { syncDirectory } from './file-create.js'
import type { FileIO } from './file-io.js'
import { DATA_START, RECORD_HEADER, RECORD_MOVED, writeRecordHeader } from './format.js'
import { writeReserve, writeReserveAsync, ZEROS } from './reserved-space.js'

export class DurableFile {
  readonly #path: string
  readonly #io: FileIO
  readonly #fd: number
  /** The file's size as this handle last knew it (it may have grown since). */
  #seenSize = 0
  /**
   * DURABILITY: the file up to here is known to be on disk (this handle synced it, or
   * a superblock slot points there: slots only ever point at synced commits). A commit
   * starting past it is flagged COMMIT_UNSYNCED_BEFORE; see writer-lock.ts for 'fsync'.
   */
  #syncedEnd = DATA_START
  /** Set when a write or sync failed: the handle refuses to write again. */
  #failure: unknown
  /** Whether this handle has synced the directory, making the file's name durable. */
  #nameSynced = false

  constructor(path: string, io: FileIO, fd: number) {
    this.#path = path
    this.#io = io
    this.#fd = fd
  }

  /**
   * DURABILITY: whoever created the file may have died between link(2) and syncing
   * the directory; a commit is not durable while the name is not. Syncs the
   * directory, once.
   */
  syncName(): void {
    if (this.#nameSynced) return
    syncDirectory(this.#io, path.dirname(this.#path))
    this.#nameSynced = true
  }

  /** Whether the file now at the path is another one than this handle has open (false when the FileIO cannot tell). */
  replaced(): boolean {
    if (this.#io.statSync === undefined) return false
    const mine = this.#io.fstatSync(this.#fd)
    try {
      const now = this.#io.statSync(this.#path)
      return now.ino !== mine.ino || now.dev !== mine.dev
    } catch {
      return true
    }
  }

  /** Where the file is known to be on disk up to. */
  get syncedEnd(): number {
    return this.#syncedEnd
  }

  /** The file is on disk up to `end` (a sync covered it, or a slot points there). */
  syncedTo(end: number): void {
    this.#syncedEnd = end
  }

  get failed(): boolean {
    return this.#failure !== undefined
  }

  /** Throws DBDB_IO once a write or sync failed. */
  checkWritable(): void {
    if (this.#failure !== undefined) {
      throw new DbdbError('DBDB_IO', `an earlier write to ${this.#path} failed; reopen the database to recover`, {
        cause: this.#failure,
      })
    }
  }

  /** The file's size was just looked up. */
  sawSize(size: number): void {
    this.#seenSize = size
  }

  /** A write reached `end`. */
  wroteTo(end: number): void {
    if (end > this.#seenSize) this.#seenSize = end
  }

  writeAt(buf: Uint8Array, position: number): void {
    let done = 0
    while (done < buf.length) {
      const n = this.#io.writeSync(this.#fd, buf, done, buf.length - done, position + done)
      // A write that makes no progress would be retried forever.
      if (!(n > 0)) throw new DbdbError('DBDB_IO', `writing ${this.#path} made no progress (${n} bytes written at ${position + done})`)
      done += n
    }
  }

  /**
   * For compaction: a MOVED record at `at`, past the last commit, synced (see
   * FileStorage.markMoved). A failure is thrown as it is, for the caller to cut off.
   */
  writeMoved(at: number): void {
    const rec = Buffer.alloc(RECORD_HEADER)
    writeRecordHeader(rec, 0, RECORD_MOVED, new Uint8Array(0))
    this.writeAt(rec, at)
    this.#io.fdatasyncSync(this.#fd)
  }

  /** Whether writing up to `end` grows the file (its size known, or looked up when it may have grown). */
  grows(end: number): boolean {
    if (end <= this.#seenSize) return false
    this.#seenSize = this.#io.fstatSync(this.#fd).size
    return end > this.#seenSize
  }

  /** Reserved zeros after the commit ending at `end` (see reserved-space.ts), before its sync. */
  reserveAfter(end: number): void {
    this.#seenSize = writeReserve(end, (bytes, at) => this.writeAt(bytes, at))
  }

  /** reserveAfter, with the writes on libuv's thread pool. */
  async reserveAfterAsync(end: number): Promise<void> {
    const target = await writeReserveAsync(this.#io, this.#fd, end)
    if (target > this.#seenSize) this.#seenSize = target
  }

  /**
   * fdatasync: then the file is on disk up to `end`. DURABILITY: a failed sync may
   * have dropped dirty pages that a retry would never write, and report success: the
   * handle refuses to write or sync again.
   */
  sync(end: number): void {
    try {
      this.#io.fdatasyncSync(this.#fd)
    } catch (err) {
      this.#failure = err
      throw new DbdbError('DBDB_IO', `sync of ${this.#path} failed: ${(err as Error).message}`, { cause: err })
    }
    this.#syncedEnd = end
  }

  /** Cuts the file off at `end` durably (bytes that never committed). */
  truncate(end: number): void {
    try {
      this.#io.ftruncateSync(this.#fd, end)
      this.#io.fdatasyncSync(this.#fd)
      this.#syncedEnd = end
    } catch (err) {
      // DURABILITY: as in cutOff, a failed sync cannot be retried; refuse to write
      // on, and report it like every other failed write (not as a raw errno).
      this.#failure = err
      throw new DbdbError('DBDB_IO', `truncating ${this.#path} failed: ${(err as Error).message}`, { cause: err })
    }
    this.#seenSize = end
  }

  /**
   * DURABILITY: after a failed write or sync the page cache may hold bytes that never
   * reach the disk, and retrying the sync would report success for them. Cut the
   * transaction off at `end` (its commit record, if written, at `commitAt`), and
   * refuse to write again until the file is reopened.
   */
  cutOff(err: unknown, end: number, commitAt?: number): void {
    this.#failure = err
    try {
      this.#io.ftruncateSync(this.#fd, end)
      // Another handle's sync may have made the failed bytes durable meanwhile: make the
      // cut durable too, if the disk lets us (nothing is believed synced because of it).
      try {
        this.#io.fdatasyncSync(this.#fd)
      } catch {
        // The next writer's commit sync carries the new size.
      }
    } catch {
      // The commit record may still be in the page cache, where other handles would
      // take it for a commit: zero the headers they look at (a scan stops at the
      // transaction's first, a refresh compares the commit record), as best we can.
      for (const at of commitAt === undefined ? [end] : [end, commitAt]) {
        try {
          this.#io.writeSync(this.#fd, ZEROS, 0, RECORD_HEADER, at)
        } catch {
          // Nothing more to do here; a reopen recovers from the file itself.
        }
      }
    }
  }
}
