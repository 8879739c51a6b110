// Sorted input at scale, and the cost of a small commit: the two promises the
// balancing and the path copying make.

import { describe, expect, it } from 'vitest'
import { dec, enc, Harness } from './test-harness.fixture.js'

const key = (i: number): Uint8Array => enc(`k${String(i).padStart(6, '0')}`)

describe('BinaryTree at scale', () => {
  it('inserts 100,000 keys in sorted order and reopens them balanced through a cold cache', () => {
    const n = 100_000
    const h = new Harness()
    const tree = h.open()
    for (let i = 0; i < n; i++) tree.set(key(i), enc(String(i)))
    const cold = h.reopen(tree)
    cold.check()
    expect(cold.size).toBe(n)
    expect(cold.height).toBeLessThanOrEqual(1.45 * Math.log2(n) + 2)
    expect(dec(cold.get(key(0)))).toBe('0')
    expect(dec(cold.get(key(77_777)))).toBe('77777')
    expect(cold.get(key(n))).toBeUndefined()
    expect(cold.count({ gte: key(1000), lt: key(2000) })).toBe(1000)
    expect([...cold.entries({ gte: key(99_998) })].map(([k]) => dec(k))).toEqual(['k099998', 'k099999'])
  }, 60_000)

  it('a commit after changing one key of a 10,000-key tree appends O(height) records', () => {
    const h = new Harness()
    const first = h.open()
    for (let i = 0; i < 10_000; i++) first.set(key(i * 2), enc('v'))
    const tree = h.reopen(first)
    const height = tree.height
    const appendsFor = (change: () => void): number => {
      const before = h.storage.stats.appends
      change()
      h.commit(tree)
      return h.storage.stats.appends - before
    }
    // An overwrite copies the path to the key (at most `height` nodes) and stores one value.
    expect(appendsFor(() => tree.set(key(5000), enc('new')))).toBeLessThanOrEqual(height + 1)
    // An insert or delete may also rotate on the way up: a few more nodes, still O(height).
    expect(appendsFor(() => tree.set(key(5001), enc('new')))).toBeLessThanOrEqual(height + 4)
    expect(appendsFor(() => tree.delete(key(7000)))).toBeLessThanOrEqual(2 * height)
    expect(appendsFor(() => {})).toBe(0)
    tree.check()
    expect(tree.size).toBe(10_000)
  })
})
