// Online compaction: copy the live data of the newest commit (and optionally a few
// before it) into a new file, packed bottom-up; catch up with commits other handles
// make meanwhile; then, holding the writer lock only for the last catch-up, swap the
// new file in with rename(2). Every step before the rename leaves the original
// untouched, so a compaction killed at any instant loses nothing.

import { existsSync, renameSync, rmSync } from 'node:fs'
import * as path from 'node:path'
import type { Codec } from '@dbdb/codec'
import { applyChanges, diffTrees, NodeCache, type LogicalTree, type TreeContext, type TreeFactory } from '@dbdb/logical'
import { DbdbError, FileStorage, isDbdbError, syncDirectory, nodeFileIO, type Head } from '@dbdb/storage'
import type { Generation } from './generation.js'

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

/** Where a compaction of `file` builds its new file. */
export function compactionPath(file: string): string {
  return `${file}.compacting`
}

/**
 * Removes what a killed compaction left behind. A compaction in progress holds the
 * writer lock of its file: then this throws DBDB_LOCKED if `busy` is 'throw', or
 * leaves it alone if 'skip'.
 */
export function removeLeftover(file: string, busy: 'throw' | 'skip'): void {
  const tmp = compactionPath(file)
  // Looked for first: every open runs this, and a failed open costs an exception;
  // the rest is a function of its own, compiled only when there is something to remove.
  if (existsSync(tmp)) removeFound(file, tmp, busy)
}

function removeFound(file: string, tmp: string, busy: 'throw' | 'skip'): void {
  let leftover: FileStorage
  try {
    leftover = FileStorage.open(tmp, { create: false, lockTimeoutMs: 0 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    if (isDbdbError(err) && err.code !== 'DBDB_LOCKED') {
      rmSync(tmp, { force: true }) // not even a whole file: a compaction killed while creating it
      return
    }
    throw err
  }
  try {
    leftover.lock(0)
  } catch (err) {
    leftover.close()
    if (isDbdbError(err, 'DBDB_LOCKED')) {
      if (busy === 'skip') return
      throw new DbdbError('DBDB_LOCKED', `another compaction of ${file} is running`)
    }
    throw err
  }
  rmSync(tmp, { force: true })
  leftover.close()
}

export function compact(source: Generation, tree: TreeFactory, codec: Codec, lockTimeoutMs: number, options: CompactOptions): CompactInfo {
  const keep = options.keepHistory ?? 1
  if (!Number.isSafeInteger(keep) || keep < 1) throw new TypeError('keepHistory must be a whole number >= 1')
  const storage = source.storage
  const file = storage.path
  const before = storage.fileBytes()
  removeLeftover(file, 'throw')

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

  const tmp = compactionPath(file)
  const target = FileStorage.open(tmp, { meta: storage.meta, base: Math.max(0, first.txid - 1), durability: 'none', lockTimeoutMs: 0 })
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
    let copy = tree.open(context, root)
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
    const locked = storage.lock(lockTimeoutMs)
    if (source.lostCommits !== lostAtStart) {
      storage.unlock()
      throw new DbdbError('DBDB_IO', `compaction of ${file} copied a commit whose sync then failed in its writer; the database is as it was: compact again`)
    }
    catchUp(locked)
    try {
      target.sync()
      storage.markMoved()
      renameSync(tmp, file)
      renamed = true
      // DURABILITY: until the directory is synced the rename may be undone by a power
      // cut, so nobody may commit to the new file yet: we still hold its lock.
      syncDirectory(nodeFileIO, path.dirname(file))
    } finally {
      if (renamed) storage.retire()
      else storage.unlock()
    }
    return { before, after: target.fileBytes(), txid: done.txid }
  } finally {
    target.close()
    if (!renamed) rmSync(tmp, { force: true })
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
