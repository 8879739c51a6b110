// Taking the writer lock: what a handle must do once it holds the lock and before
// its first append, so that what it appends lands after the newest commit of the
// file at its path, on a tail that is cut clean, and after bytes that are on disk.

import { refuseToCutOffCommits, ZERO_LOOK } from './damage.js'
import type { DurableFile } from './durable-file.js'
import { DbdbError } from './errors.js'
import type { FileIO } from './file-io.js'
import type { RecordReader } from './file-reader.js'
import type { KnownHead } from './known-head.js'
import type { Durability } from './storage.js'

/** What prepareToWrite works on: the handle that just took the lock. */
export interface LockedHandle {
  readonly path: string
  readonly durability: Durability
  readonly io: FileIO
  readonly fd: number
  readonly reader: RecordReader
  readonly fileId: Buffer
  readonly file: DurableFile
  readonly known: KnownHead
  /** The handle's refresh of its head (which tells of a lost commit). */
  refresh(): void
}

/** The error for a handle whose file compaction replaced. */
export function movedError(filePath: string): DbdbError {
  return new DbdbError('DBDB_MOVED', `${filePath} was replaced by compaction; reopen it`)
}

/** Brings a handle that just took the writer lock to where it may append. */
export function prepareToWrite(h: LockedHandle): void {
  const { file, known } = h
  if (known.moved) throw movedError(h.path)
  file.syncName()
  // LOCKING: the lock is on this file; if compaction has renamed another file
  // into its place, writing here would be lost. Compaction appends a MOVED record
  // at the committed end, holding this lock, before it renames; so once we hold
  // the lock, the refresh finds that record if a rename may have happened, and
  // only then compares inodes (a stat per commit would add a system call to every commit).
  h.refresh()
  if (known.moved) throw movedError(h.path)
  // DURABILITY: zeros at the head's end are reserved space only if nothing else follows
  // them (reserved zeros run to the end of the file); the open reads no further than
  // the first of them. The zeros of a hole may hide a torn tail, or damage that intact
  // commits follow: writing over them would bury the damage under this handle's
  // commits, and leave the commits after it to be read as later commits of its own.
  // So the first lock after the open looks past them (ZERO_LOOK), and what it finds
  // is a tail like any other: cut off, or refused as damage. Commits added since, its
  // own or other writers' (who looked before they wrote), keep the tail known.
  if (known.tailClean && !known.tailLooked) {
    if (h.reader.nonZeroWithin(known.head.end, ZERO_LOOK)) known.tailNotClean()
    else known.lookedPast()
  }
  if (!known.tailClean) {
    // Bytes of a transaction that never committed (its writer crashed or its
    // commit failed). Cut them off durably before appending after the commit,
    // unless intact commits follow them: then they are damage, not a torn tail.
    refuseToCutOffCommits(h.reader, h.fileId, h.path, known.head, h.io.fstatSync(h.fd).size)
    file.truncate(known.head.end)
    known.cutTail()
  }
  // DURABILITY: with durability 'fsync' every commit must be written after everything
  // before it is on disk, so that damage with commits after it is never mistaken for
  // a torn tail, nor a torn tail for damage. A head this handle did not sync itself
  // (another process's commit, or one found at open past the checkpoint) may be one
  // whose writer died before its sync, or a 'none' writer's: sync it once, before
  // writing on top. Usually there is nothing to write back and it is cheap; after a
  // writer of the same handle, never done.
  if (h.durability === 'fsync' && known.head.end > file.syncedEnd) file.sync(known.head.end)
}
