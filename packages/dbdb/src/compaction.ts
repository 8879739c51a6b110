// Online compaction: copy the live data of the newest commit (and optionally a few
// before it) into a new file, packed bottom-up; catch up with commits other handles
// make meanwhile; then, holding the writer lock only for the last catch-up, swap the
// new file in with rename(2). Every step before the rename leaves the original
// untouched, so a compaction killed at any instant loses nothing.

import * as path from 'node:path'
import type { Codec } from '@dbdb/codec'
import { applyChanges, diffTrees, type LogicalTree, NodeCache, type TreeContext, type TreeFactory } from '@dbdb/logical'
import { DbdbError, type FileIO, FileStorage, type Head, isDbdbError } from '@dbdb/storage'
import type { Generation } from './generation.js'
import { compactionPath, removeLeftover } from './leftover.js'

export interface CompactOptions {
  /** Keep this many of the newest commits (readable with at()); default 1, the newest only. */
  keepHistory?: number
}

export interface CompactInfo {
  /** File size before and after, in bytes. */
  readonly before: number
  readonly after: number
  /** The newest commit, now in the compacted file. */
  readonly txid: number
}

/** Bytes of decoded nodes the target tree may cache while catching up. */
const TARGET_CACHE_BYTES = 8 * 1024 * 1024
/** Catch-up passes made without the lock before taking it for the last one. */
const UNLOCKED_ROUNDS = 3

export function compact(source: Generation, tree: TreeFactory, codec: Codec, lockTimeoutMs: number, options: CompactOptions): CompactInfo {
  const keep = options.keepHistory ?? 1
  if (!Number.isSafeInteger(keep) || keep < 1) throw new TypeError('keepHistory must be a whole number >= 1')
  const storage = source.storage
  const io = storage.io
  if (io.renameSync === undefined) throw new TypeError('compaction needs a FileIO with renameSync')
  const file = storage.path
  const tmp = compactionPath(file)
  if (!storage.atPath()) {
    storage.head() // a compaction elsewhere marked the file: then storage.moved is set, and the caller follows it
    throw notAtPath(file)
  }
  const before = storage.fileBytes()
  removeLeftover(storage, 'throw')

  // A commit read before its sync failed (and then cut off) may be among those copied
  // without the lock: found lost by the time the lock is held (see below).
  const lostAtStart = source.lostCommits
  // The commits to copy, oldest first. Reads need no lock: committed nodes never change.
  const kept: Head[] = []
  for (const head of storage.history()) {
    kept.unshift(head)
    if (kept.length === keep) break
  }
  if (kept.length === 0) kept.push(storage.head())
  const first = kept[0]!

  const target = createTarget(storage, tmp, Math.max(0, first.txid - 1))
  /** An I/O failure, said as what it means: which file failed, and what state the database is in. */
  const described = (err: unknown): unknown => {
    if (!isDbdbError(err, 'DBDB_IO')) return err
    if (target.failed) {
      const why = (err.cause as Error | undefined)?.message ?? err.message
      return new DbdbError('DBDB_IO', `compacting ${file} failed writing the new file ${tmp}: ${why}; ${file} is unchanged`, { cause: err })
    }
    if (storage.failed && !storage.moved) {
      // DURABILITY: only the MOVED mark is ever written to the old file, and its sync
      // failed: as after any failed sync, this handle refuses to write (a retried sync
      // could report success for bytes never written); other handles are unaffected.
      return new DbdbError(
        'DBDB_IO',
        `compacting ${file} failed: ${err.message}; ${file} is unchanged, and this handle refuses writes until the database is reopened`,
        {
          cause: err,
        },
      )
    }
    return err
  }
  let renamed = false
  try {
    try {
      target.lock(0) // held until the swap is durable: see below
    } catch (err) {
      if (isDbdbError(err, 'DBDB_LOCKED')) throw new DbdbError('DBDB_LOCKED', `another compaction of ${file} is running`)
      throw err
    }
    const context: TreeContext = { storage: target, codec, cache: new NodeCache(TARGET_CACHE_BYTES) }
    const read = (head: Head): LogicalTree => tree.open(source.context, head.root)

    let copied = read(first)
    const root = tree.build ? tree.build(context, copied.entries(), copied.size) : insertAll(tree, context, copied)
    if (first.txid > 0) target.commit(root, { txid: first.txid, time: first.time })
    let done = first
    const copy = tree.open(context, root)
    const catchUp = (to: Head): void => {
      if (to.txid === done.txid) return
      const next = read(to)
      applyChanges(copy, diffTrees(copied, next))
      target.commit(copy.commit(), { txid: to.txid, time: to.time })
      copied = next
      done = to
    }
    for (const head of kept.slice(1)) catchUp(head)
    for (let round = 0; round < UNLOCKED_ROUNDS; round++) {
      const head = storage.head()
      if (head.txid === done.txid) break
      catchUp(head)
    }

    // Writers wait from here: catch up with whatever they committed last, make the
    // new file durable, announce the move to every reader of the old one, swap.
    // LOCKING: every way out of this block releases the old file's lock.
    const locked = storage.lock(lockTimeoutMs)
    try {
      // A commit read without the lock, then lost (its sync failed), may have been copied.
      if (source.lostCommits !== lostAtStart) {
        throw new DbdbError(
          'DBDB_IO',
          `compaction of ${file} copied a commit whose sync then failed in its writer; the database is as it was: compact again`,
        )
      }
      catchUp(locked)
      target.sync()
      // DURABILITY: the rename would destroy whatever is at the path. Under the lock no
      // compaction or writer of this database can replace it, but `rm` + a new
      // database, or `mv backup.db NAME`, can: look before marking the old file, and
      // again right before the rename. A replacement between that last look and the
      // rename is not caught (Node has no renameat2 with
      // RENAME_NOREPLACE or RENAME_EXCHANGE); see ARCHITECTURE.md.
      if (!storage.atPath()) throw notAtPath(file)
      storage.markMoved()
      if (!storage.atPath()) throw notAtPath(file)
      if (!target.atPath())
        throw new DbdbError(
          'DBDB_EXISTS',
          `compacting ${file} failed: ${tmp} was removed or replaced by something else meanwhile; ${file} is unchanged`,
        )
      try {
        io.renameSync(tmp, file)
      } catch (err) {
        throw new DbdbError(
          'DBDB_IO',
          `compacting ${file} failed renaming ${tmp} over it: ${(err as Error).message}; ${file} is unchanged`,
          { cause: err },
        )
      }
      renamed = true
      // DURABILITY: until the directory is synced the rename may be undone by a power
      // cut, so nobody may commit to the new file yet: we still hold its lock.
      syncDirectoryOrThrow(io, path.dirname(file))
    } catch (err) {
      if (!renamed) throw err
      // The swap is done and cannot be taken back: the new file is complete and synced,
      // and this handle and every other move on to it. Only its name may not be durable.
      throw new DbdbError(
        'DBDB_IO',
        `compacted ${file} (transaction ${done.txid}): the compacted file is in place, but syncing its directory failed: ${(err as Error).message}. ` +
          'Until the directory reaches the disk, a power loss may bring back the file as it was before the compaction (with every commit up to then), ' +
          'losing the commits made after it',
        { cause: err },
      )
    } finally {
      if (renamed) storage.retire()
      else storage.unlock()
    }
    return { before, after: target.fileBytes(), txid: done.txid }
  } catch (err) {
    throw described(err)
  } finally {
    // LOCKING: the name is removed before the new file's lock is released (at close),
    // so no other compaction can take an abandoned file for a killed one's meanwhile;
    // and only if it still names our file.
    if (!renamed) {
      try {
        if (target.atPath()) io.unlinkSync(tmp)
      } catch {
        // The error being reported matters more; the next compaction or open removes it.
      }
    }
    try {
      target.close()
    } catch {
      // Closing a file that is being abandoned (or is complete and synced).
    }
  }
}

/** Creates NAME.compacting, exclusively: only this compaction may own what it removes at the end. */
function createTarget(storage: FileStorage, tmp: string, base: number): FileStorage {
  try {
    return FileStorage.open(tmp, { exclusive: true, meta: storage.meta, base, durability: 'none', lockTimeoutMs: 0, io: storage.io })
  } catch (err) {
    // Another compaction created it since removeLeftover looked: it says which.
    if (isDbdbError(err, 'DBDB_EXISTS')) removeLeftover(storage, 'throw')
    if (isDbdbError(err)) throw err
    throw new DbdbError(
      'DBDB_IO',
      `compacting ${storage.path} failed creating the new file ${tmp}: ${(err as Error).message}; ${storage.path} is unchanged`,
      {
        cause: err,
      },
    )
  }
}

function notAtPath(file: string): DbdbError {
  return new DbdbError(
    'DBDB_MOVED',
    `${file} is no longer the file this handle has open (it was removed or replaced, e.g. by rm or mv): compaction left the path alone; reopen the database`,
  )
}

/**
 * Syncs a directory after a rename in it. Unlike storage's syncDirectory (best effort,
 * where the data itself is synced), a failure here is the caller's to report: the
 * compaction's result depends on it. Only a platform that cannot sync directories at
 * all (the open or the sync refused as unsupported) is let pass.
 */
function syncDirectoryOrThrow(io: FileIO, dir: string): void {
  let fd: number
  try {
    fd = io.openSync(dir, 'r')
  } catch {
    return // e.g. Windows: a directory cannot be opened; the rename is atomic, its durability is the OS's
  }
  try {
    io.fsyncSync(fd)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EISDIR' && code !== 'EPERM') throw err
  } finally {
    try {
      io.closeSync(fd)
    } catch {
      // the sync is what matters
    }
  }
}

/** For a tree without build(): insert in batches, committing each to bound memory. */
function insertAll(tree: TreeFactory, context: TreeContext, source: LogicalTree): number {
  let copy = tree.open(context, 0)
  let n = 0
  let root = 0
  for (const [key, value] of source.entries()) {
    copy.set(key, value)
    if (++n % 10_000 === 0) {
      root = copy.commit()
      copy = tree.open(context, root)
    }
  }
  return copy.dirty ? copy.commit() : root
}
