import { type Entry, NodeCache } from '@dbdb/logical'
import { describe, expect, it } from 'vitest'
import { createBPlusTree } from './factory.js'
import { strictBPlusTree } from './fill.fixture.js'
import { asHex, enc, Harness } from './harness.fixture.js'

function entries(n: number, valueBytes = 8): Entry[] {
  return Array.from({ length: n }, (_, i): Entry => [enc(`k${String(i).padStart(7, '0')}`), new Uint8Array(valueBytes).fill(i % 251)])
}

describe('bottom-up build', () => {
  for (const [order, branchOrder] of [
    [3, 3],
    [4, 8],
    [5, 4],
    [64, 128],
  ] as const) {
    const factory = strictBPlusTree({ order, branchOrder, inlineValueMax: 16 })
    const sizes = [
      0,
      1,
      2,
      order - 1,
      order,
      order + 1,
      2 * order,
      order * branchOrder,
      order * branchOrder + 1,
      order * branchOrder + order + 1,
      5000,
    ]
    it(`order ${order}, branches ${branchOrder}: builds valid, packed trees of every awkward size`, () => {
      for (const n of sizes) {
        const h = new Harness(factory)
        const data = entries(n, n % 2 ? 40 : 8) // odd sizes store values out of line
        h.storage.lock()
        const root = factory.build!({ storage: h.storage, codec: h.codec, cache: new NodeCache(0) }, data, n)
        h.storage.commit(root)
        h.storage.unlock()
        const tree = h.open(root)
        tree.check()
        expect(tree.size, `n=${n}`).toBe(n)
        expect(asHex(tree.entries())).toEqual(asHex(data))
        // Packed: every node full but the last of its level, so exactly this many nodes.
        let nodes = 0
        for (let level = Math.ceil(n / order); n > 0; level = Math.ceil(level / branchOrder)) {
          nodes += level
          if (level === 1) break
        }
        const valueRecords = n % 2 ? n : 0
        expect(h.storage.stats.appends - valueRecords, `n=${n}`).toBe(nodes)
        // It stays a normal tree: edits keep every invariant.
        tree.set(enc('k0000000x'), enc('x'))
        tree.delete(enc('k0000001'))
        tree.check()
      }
    })
  }

  it('refuses entries out of order', () => {
    const factory = createBPlusTree()
    const h = new Harness(factory)
    h.storage.lock()
    expect(() =>
      factory.build!(
        { storage: h.storage, codec: h.codec, cache: new NodeCache(0) },
        [
          [enc('b'), enc('')],
          [enc('a'), enc('')],
        ],
        2,
      ),
    ).toThrow(RangeError)
  })
})
