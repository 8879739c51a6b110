// A seeded random workload against a Map model: set, delete, commit and reopen (with
// caches large and tiny), checking every invariant after each commit. DBDB_SEED replays a run.

import { compareKeys } from '@dbdb/logical'
import { prng, randomInt, testSeed } from '@dbdb/logical/testing'
import { expect, it } from 'vitest'
import { dec, enc, Harness } from './test-harness.fixture.js'

it('matches a Map model under random set/delete/commit/reopen', () => {
  const seed = testSeed('tree-binary model')
  const rand = prng(seed)
  const h = new Harness()
  let tree = h.open()
  const model = new Map<string, string>()
  const sorted = (): string[] => [...model.keys()].sort((a, b) => compareKeys(enc(a), enc(b)))
  for (let i = 0; i < 6000; i++) {
    const where = `seed ${seed}, op ${i}`
    const r = rand()
    // A small key space, so deletes hit and the tree keeps shrinking and growing.
    const k = String(randomInt(rand, 600)).padStart(3, '0')
    if (r < 0.55) {
      const v = `v${i}`
      tree.set(enc(k), enc(v))
      model.set(k, v)
    } else if (r < 0.95) {
      expect(tree.delete(enc(k)), where).toBe(model.delete(k))
    } else {
      tree = h.reopen(tree, rand() < 0.3 ? 2048 : undefined)
      tree.check()
      expect(tree.dirty, where).toBe(false)
      expect(
        [...tree.entries()].map(([key]) => dec(key)),
        where,
      ).toEqual(sorted())
    }
    expect(tree.size, where).toBe(model.size)
    expect(dec(tree.get(enc(k))), where).toBe(model.get(k))
  }
  tree = h.reopen(tree)
  tree.check()
  expect([...tree.entries()].map(([key, value]) => [dec(key), dec(value)])).toEqual(sorted().map((key) => [key, model.get(key)]))
}, 60_000)
