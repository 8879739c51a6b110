// One database file as a handle has it open: the storage handle and the node cache
// for that file's addresses. Compaction replaces the file at the path, so a handle
// moves to a new generation while snapshots of the old one keep it open (the
// replaced file lives on, unlinked, until the last of them closes).

import type { Codec } from '@dbdb/codec'
import { NodeCache, type TreeContext } from '@dbdb/logical'
import type { FileStorage, Head } from '@dbdb/storage'

export class Generation {
  readonly storage: FileStorage
  readonly context: TreeContext
  /**
   * How often the storage found a commit it had shown gone (a commit read before
   * its sync failed, cut off by its writer): trees opened before a change of this
   * count may be trees of a lost commit.
   */
  lostCommits = 0
  /** The commits found lost, oldest first. */
  readonly #lost: Head[] = []
  /** The handle's own reference, plus one per open snapshot. */
  #refs = 1

  constructor(storage: FileStorage, codec: Codec, cacheBytes: number | undefined) {
    this.storage = storage
    const cache = new NodeCache(cacheBytes)
    this.context = { storage, codec, cache }
    // The cache is keyed by address, and the lost commit's addresses are reused by
    // the next transactions: a node cached from it would be returned for theirs.
    // Called inside the storage call that moved the head back, before any tree
    // reads from the new head. Rare (a failed sync), so the whole cache goes.
    storage.onLostCommit = (lost) => {
      cache.clear()
      this.#lost.push(lost)
      this.lostCommits++
    }
  }

  /** Whether `head` is one of the commits found lost after the first `since` of them. */
  isLost(head: Head, since: number): boolean {
    for (let i = since; i < this.#lost.length; i++) {
      const lost = this.#lost[i]!
      if (lost.txid === head.txid && lost.address === head.address && lost.root === head.root && lost.time === head.time) return true
    }
    return false
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
