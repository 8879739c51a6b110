// Test helpers shared by this package's tests: a tree on MemoryStorage, committed
// and reopened from its root address through a cold cache, as a new handle would.

import { msgpackCodec } from '@dbdb/codec'
import { NodeCache, type NodeCodec } from '@dbdb/logical'
import { MemoryStorage } from '@dbdb/storage'
import { type BinaryTree, binaryTree } from './binary-tree.js'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b))

export class Harness {
  readonly storage = new MemoryStorage()
  constructor(readonly codec: NodeCodec = msgpackCodec) {}

  open(root = 0, cacheBytes?: number): BinaryTree {
    return binaryTree.open({ storage: this.storage, codec: this.codec, cache: new NodeCache(cacheBytes) }, root) as BinaryTree
  }

  /** Commits `tree` as one transaction and returns its root address. */
  commit(tree: BinaryTree): number {
    this.storage.lock()
    const root = tree.commit()
    this.storage.commit(root)
    this.storage.unlock()
    return root
  }

  /** Commits `tree` and opens its root again through a cold cache. */
  reopen(tree: BinaryTree, cacheBytes?: number): BinaryTree {
    return this.open(this.commit(tree), cacheBytes)
  }
}
