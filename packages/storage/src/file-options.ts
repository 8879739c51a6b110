// The options of FileStorage.open and FileStorage.commit, and their validation:
// they are type-checked before anything is opened.

import type { FileIO } from './file-io.js'
import type { Durability, StorageMeta } from './storage.js'

export interface FileStorageOptions {
  /** Open without ever taking the writer lock; writes throw DBDB_READ_ONLY. */
  readOnly?: boolean
  /** 'fsync' (default): a commit is on disk when commit() returns. 'none': the OS decides. */
  durability?: Durability
  /** How long lock() waits for another writer, in ms (default 5000). */
  lockTimeoutMs?: number
  /** Recorded in the superblock if this call creates the file. */
  meta?: StorageMeta
  /** Create the file if it does not exist (default true). */
  create?: boolean
  /** Create the file, failing with DBDB_EXISTS if anything is at its path, atomically (default false). */
  exclusive?: boolean
  /** For a file this call creates: the txid its first commit follows (compaction continues txids). */
  base?: number
  /** The file-system calls to use (tests inject faults here). Default: node:fs. */
  io?: FileIO
}

export interface CommitOptions {
  /** Transaction id to record; must exceed the head's (default: head + 1). Compaction uses it to keep txids. */
  txid?: number
  /** Commit time to record, ms since the epoch (default: now). */
  time?: number
  /**
   * false: write the commit without syncing it, even with durability 'fsync'; a later
   * syncAsync() makes it (and every commit written before it) durable. Group commit
   * writes each group so and shares one sync. Default true.
   */
  sync?: boolean
}

/** Options are type-checked before anything is opened: a string where a number belongs would otherwise wait forever for a lock. */
export function checkOptions(options: FileStorageOptions): void {
  if (options.durability !== undefined && options.durability !== 'fsync' && options.durability !== 'none') {
    throw new TypeError(`durability must be 'fsync' or 'none', not ${String(options.durability)}`)
  }
  for (const name of ['readOnly', 'create', 'exclusive'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean')
      throw new TypeError(`${name} must be a boolean, not ${typeof options[name]}`)
  }
  if (options.lockTimeoutMs !== undefined) checkTimeout('lockTimeoutMs', options.lockTimeoutMs)
  if (options.base !== undefined && (!Number.isSafeInteger(options.base) || options.base < 0)) {
    throw new RangeError(`base must be a non-negative integer, not ${String(options.base)}`)
  }
}

/** A wait in ms: a number >= 0, Infinity waiting without end (a string would never end one either). */
export function checkTimeout(name: string, timeout: unknown): void {
  if (typeof timeout !== 'number') throw new TypeError(`${name} must be a number, not ${typeof timeout}`)
  if (!(timeout >= 0)) throw new RangeError(`${name} must be >= 0 (Infinity waits without end), not ${timeout}`)
}
