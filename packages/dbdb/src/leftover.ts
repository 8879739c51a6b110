// What a killed compaction leaves behind: its half-made file at NAME.compacting, and
// how it is told from anything else at that name and removed (only it, only
// holding its lock). Every read-write open and every compaction looks first.

import { DbdbError, type FileIO, FileStorage, isDbdbError, type StorageMeta } from '@dbdb/storage'

/** Where a compaction of `file` builds its new file. */
export function compactionPath(file: string): string {
  return `${file}.compacting`
}

/**
 * Removes what a killed compaction of `storage`'s database left behind, and nothing
 * else. A compaction in progress holds the writer lock of its file: then this throws
 * DBDB_LOCKED if `busy` is 'throw', or leaves it alone if 'skip'. Anything else at
 * NAME.compacting (a directory, a FIFO, a file that is not this database's copy) is
 * left as it is: with 'throw', DBDB_EXISTS names it; with 'skip' (every open) it is
 * ignored.
 */
export function removeLeftover(storage: FileStorage, busy: 'throw' | 'skip'): void {
  const tmp = compactionPath(storage.path)
  // Looked for first, without an exception when missing: every open runs this; the
  // rest is a function of its own, compiled only when there is something to look at.
  if (mayExist(storage.io, tmp)) removeFound(storage, tmp, busy)
}

function mayExist(io: FileIO, file: string): boolean {
  try {
    if (io.lstatSync !== undefined) return io.lstatSync(file, { throwIfNoEntry: false }) !== undefined
    if (io.statSync !== undefined) io.statSync(file)
    return true
  } catch {
    return false
  }
}

function removeFound(storage: FileStorage, tmp: string, busy: 'throw' | 'skip'): void {
  try {
    const verdict = inspectLeftover(storage, tmp)
    if (verdict === 'gone') return
    if (verdict === 'busy') throw new DbdbError('DBDB_LOCKED', `another compaction of ${storage.path} is running (it holds ${tmp})`)
    if (verdict !== 'ours') {
      throw new DbdbError(
        'DBDB_EXISTS',
        `${tmp} is in the way of compacting ${storage.path}: ${verdict}, so no compaction of it left it there; move or remove it`,
      )
    }
  } catch (err) {
    if (busy === 'skip') return // tidying at open must never fail the open
    if (isDbdbError(err)) throw err
    throw new DbdbError('DBDB_IO', `compacting ${storage.path} failed: removing the leftover ${tmp}: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/**
 * What is at `tmp`: 'gone', 'busy' (a running compaction holds it), 'ours' (what a
 * killed compaction of this database left; removed here, holding its lock), or a
 * description of something else, which is left untouched.
 */
function inspectLeftover(storage: FileStorage, tmp: string): 'gone' | 'busy' | 'ours' | string {
  const io = storage.io
  if (io.lstatSync !== undefined) {
    const stat = io.lstatSync(tmp, { throwIfNoEntry: false })
    if (stat === undefined) return 'gone'
    // Opening a FIFO would block, and a directory or link is no compaction's.
    if (!stat.isFile()) return 'it is not a regular file'
  }
  // A compaction creates its file whole (superblock synced, then linked into place),
  // with this database's meta, and copies only commits this database has made. So
  // anything that does not open as such a database is someone else's. Looked at
  // read-only first: a writable open initializes an empty file.
  let copy: FileStorage
  try {
    copy = FileStorage.open(tmp, { readOnly: true, io })
  } catch (err) {
    if (isDbdbError(err, 'DBDB_NOT_FOUND')) return 'gone'
    // An I/O error says nothing about what the file is: report it, delete nothing.
    if (isDbdbError(err) && err.code !== 'DBDB_IO') return `it does not open as a database (${err.code})`
    throw err
  }
  try {
    if (!sameMeta(copy.meta, storage.meta)) return 'it is a database of another tree, codec or format'
    if (copy.knownHead.txid > storage.head().txid) return 'it is a database with commits this one never made'
  } finally {
    copy.close()
  }
  let leftover: FileStorage
  try {
    leftover = FileStorage.open(tmp, { create: false, lockTimeoutMs: 0, io })
  } catch (err) {
    if (isDbdbError(err, 'DBDB_NOT_FOUND')) return 'gone'
    throw err
  }
  try {
    try {
      leftover.lock(0)
    } catch (err) {
      if (isDbdbError(err, 'DBDB_LOCKED')) return 'busy'
      throw err
    }
    // LOCKING: removed holding its lock, and only if the name is still the file we
    // looked at (a new compaction may have replaced it meanwhile).
    if (!leftover.atPath()) return 'gone'
    io.unlinkSync(tmp)
    return 'ours'
  } finally {
    leftover.close()
  }
}

function sameMeta(a: StorageMeta, b: StorageMeta): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}
