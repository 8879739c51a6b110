// What check(), stats() and backup() report, and the helpers that compute it: a
// walk of the newest tree read from the file, a tally of the bytes it reads, and the
// size of a backup.

import { statSync } from 'node:fs'
import type { Codec } from '@dbdb/codec'
import { NodeCache, type TreeFactory } from '@dbdb/logical'
import { DbdbError, type Head, isDbdbError, type Storage, type StorageReport } from '@dbdb/storage'
import type { Generation } from './generation.js'

export interface CheckReport {
  /** True when nothing is damaged. */
  readonly ok: boolean
  /** The newest commit, as checked. */
  readonly txid: number
  /** Keys in that commit's tree (every one of them was read). */
  readonly keys: number
  readonly height: number
  /** The file: slots, every record's checksum, the commit chain. */
  readonly storage: StorageReport
  /** Damage found in the file or the tree; empty when ok. */
  readonly problems: readonly string[]
}

export interface DatabaseStats {
  readonly keys: number
  /** Size of the file. */
  readonly fileBytes: number
  /** Bytes of the records the newest commit's tree reaches (what a compacted file would hold, roughly). */
  readonly liveBytes: number
  readonly height: number
  readonly txid: number
  readonly tree: string
  readonly codec: string
  readonly valueCodec: string
  readonly keyEncoding: string
}

/** Cache for an integrity check: small, and its own, so every node is read from the file. */
const CHECK_CACHE_BYTES = 4 * 1024 * 1024

/** check() (see Database.check): the file, then the newest tree read through a cache of its own, so from the file. */
export function checkFile(gen: Generation, factory: TreeFactory, valueCodec: Codec): CheckReport {
  const storage = gen.storage.verify()
  const problems = [...storage.problems]
  const tree = factory.open({ ...gen.context, cache: new NodeCache(CHECK_CACHE_BYTES) }, storage.head.root)
  let keys = 0
  let height = 0
  try {
    tree.check()
    height = tree.height
    for (const [, value] of tree.entries()) {
      valueCodec.decode(value)
      keys++
    }
  } catch (err) {
    // The OS failing a read says nothing about the file's bytes: an error, not damage.
    if (isDbdbError(err, 'DBDB_IO')) throw err
    problems.push((err as Error).message)
  }
  return { ok: problems.length === 0, txid: storage.head.txid, keys, height, storage, problems }
}

/** stats() but the composition: the tree at `head` walked from the file, counting its keys and the bytes of its records. */
export function measureTree(
  gen: Generation,
  factory: TreeFactory,
  head: Head,
): Omit<DatabaseStats, 'tree' | 'codec' | 'valueCodec' | 'keyEncoding'> {
  const { storage, context } = gen
  const counting = countingStorage(storage)
  const tree = factory.open({ ...context, storage: counting.storage, cache: new NodeCache(CHECK_CACHE_BYTES) }, head.root)
  // Only a walk: stats() measures, check() judges.
  let keys = 0
  for (const _ of tree.entries()) keys++
  return {
    keys,
    fileBytes: storage.fileBytes(),
    liveBytes: counting.bytes(),
    height: tree.height,
    txid: head.txid,
  }
}

/** The size of the backup just written; it is complete and synced, so a failing stat says only that it cannot be looked at now. */
export function copiedBytes(file: string): number {
  try {
    return statSync(file).size
  } catch (err) {
    throw new DbdbError('DBDB_IO', `the backup ${file} is complete, but looking at its size failed: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/** A storage whose reads are tallied: every distinct record, with its 9-byte header. */
function countingStorage(storage: Storage): { storage: Storage; bytes: () => number } {
  const seen = new Map<number, number>()
  const counting: Storage = {
    get meta() {
      return storage.meta
    },
    get readOnly() {
      return storage.readOnly
    },
    get locked() {
      return storage.locked
    },
    head: () => storage.head(),
    lock: (timeoutMs) => storage.lock(timeoutMs),
    unlock: () => storage.unlock(),
    append: (bytes) => storage.append(bytes),
    read(address) {
      const bytes = storage.read(address)
      seen.set(address, bytes.length + 9)
      return bytes
    },
    commit: (root) => storage.commit(root),
    abort: () => storage.abort(),
    history: () => storage.history(),
    close: () => storage.close(),
  }
  return { storage: counting, bytes: () => [...seen.values()].reduce((a, b) => a + b, 0) }
}
