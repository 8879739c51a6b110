// One database file as a handle has it open: the storage handle and the node cache
// for that file's addresses. Compaction replaces the file at the path, so a handle
// moves to a new generation while snapshots of the old one keep it open (the
// replaced file lives on, unlinked, until the last of them closes).

import type { Codec } from '@dbdb/codec'
import { NodeCache, type TreeContext } from '@dbdb/logical'
import type { FileStorage } from '@dbdb/storage'

export class Generation {
  readonly storage: FileStorage
  readonly context: TreeContext
  /** The handle's own reference, plus one per open snapshot. */
  #refs = 1

  constructor(storage: FileStorage, codec: Codec, cacheBytes: number | undefined) {
    this.storage = storage
    this.context = { storage, codec, cache: new NodeCache(cacheBytes) }
  }

  retain(): this {
    this.#refs++
    return this
  }

  /** Drops one reference; the file is closed with the last. */
  release(): void {
    if (--this.#refs === 0) this.storage.close()
  }
}
