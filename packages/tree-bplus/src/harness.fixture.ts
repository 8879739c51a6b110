// Test helpers shared by this package's tests: a tree on MemoryStorage that can be
// committed and reopened through a cold cache, and a sorted view of a Map model.
import { msgpackCodec } from '@dbdb/codec'
import { compareKeys, type LogicalTree, NodeCache, type NodeCodec, type TreeFactory } from '@dbdb/logical'
import { MemoryStorage } from '@dbdb/storage'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))

export class Harness {
  readonly storage = new MemoryStorage()
  constructor(
    readonly factory: TreeFactory,
    readonly codec: NodeCodec = msgpackCodec,
  ) {}

  /** A tree at `root`; the default cache is cold and holds nothing, so every load is a read. */
  open(root = 0, cache: NodeCache = new NodeCache(0)): LogicalTree {
    return this.factory.open({ storage: this.storage, codec: this.codec, cache }, root)
  }

  /** Commits `tree` as one storage transaction and returns the root address. */
  commit(tree: LogicalTree): number {
    this.storage.lock()
    try {
      const root = tree.commit()
      this.storage.commit(root)
      return root
    } finally {
      this.storage.unlock()
    }
  }

  /** Records appended and read while `fn` runs. */
  measure(fn: () => void): { appends: number; reads: number } {
    const { appends, reads } = this.storage.stats
    fn()
    return { appends: this.storage.stats.appends - appends, reads: this.storage.stats.reads - reads }
  }
}

/** A model keyed by hex, as [key, value] byte pairs in key order. */
export function sortedModel(model: Map<string, Uint8Array>): Array<[Uint8Array, Uint8Array]> {
  return [...model].map(([k, v]): [Uint8Array, Uint8Array] => [unhex(k), v]).sort((a, b) => compareKeys(a[0], b[0]))
}

/** Entries as hex pairs, for compact deep equality. */
export function asHex(entries: Iterable<[Uint8Array, Uint8Array]>): Array<[string, string]> {
  return [...entries].map(([k, v]) => [hex(k), hex(v)])
}
