import { msgpackCodec } from '@dbdb/codec'
import { type Entry, NodeCache } from '@dbdb/logical'
import { MemoryStorage } from '@dbdb/storage'
import { describe, expect, it } from 'vitest'
import { binaryTree } from './binary-tree.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('bottom-up build', () => {
  it('builds a valid, perfectly balanced tree of every size', () => {
    for (const n of [0, 1, 2, 3, 4, 7, 8, 100, 1023, 1024, 5000]) {
      const storage = new MemoryStorage()
      const context = { storage, codec: msgpackCodec, cache: new NodeCache(0) }
      const data = Array.from({ length: n }, (_, i): Entry => [enc(`k${String(i).padStart(6, '0')}`), enc(`v${i}`)])
      storage.lock()
      const root = binaryTree.build!(context, data, n)
      storage.commit(root)
      const tree = binaryTree.open(context, root)
      tree.check()
      expect(tree.size).toBe(n)
      expect(tree.height).toBe(n === 0 ? 0 : Math.floor(Math.log2(n)) + 1)
      expect([...tree.entries()].map(([k]) => Buffer.from(k).toString())).toEqual(data.map(([k]) => Buffer.from(k).toString()))
      expect(storage.stats.appends).toBe(2 * n)
    }
  })

  it('refuses a wrong count or entries out of order', () => {
    const storage = new MemoryStorage()
    const context = { storage, codec: msgpackCodec, cache: new NodeCache(0) }
    storage.lock()
    expect(() => binaryTree.build!(context, [[enc('a'), enc('')]], 2)).toThrow(RangeError)
    expect(() =>
      binaryTree.build!(
        context,
        [
          [enc('a'), enc('')],
          [enc('b'), enc('')],
        ],
        1,
      ),
    ).toThrow(RangeError)
    expect(() =>
      binaryTree.build!(
        context,
        [
          [enc('b'), enc('')],
          [enc('a'), enc('')],
        ],
        2,
      ),
    ).toThrow(RangeError)
  })
})
