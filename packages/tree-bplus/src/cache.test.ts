// A commit drops from the cache the stored nodes (and values kept apart) it replaced
// (Editor.superseded, NodeStore.superseded): a writer's cache holds what its newest
// root reaches, not every version of every node it ever wrote, which would push
// live nodes out of a full cache after a few thousand small commits.
import { deepStrictEqual, ok } from 'node:assert/strict'
import { NodeCache, NodeStore } from '@dbdb/logical'
import { prng, randomInt, savepointsAtRandom, testSeed } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { asHex, enc, Harness, hex, sortedModel, unhex } from './harness.fixture.js'
import { createBPlusTree } from './index.js'
import { BRANCH, type Node } from './node.js'
import { BPlusNodeType } from './node-type.js'

/**
 * The records a reader of `root` reaches (its nodes and values kept apart), and the
 * bases of its patched leaves, which it reads only when the patch is not cached.
 */
function reachable(h: Harness, root: number): { reached: Set<number>; bases: Set<number> } {
  const store = new NodeStore<Node>(h.storage, h.codec, new NodeCache(0), new BPlusNodeType())
  const reached = new Set<number>()
  const bases = new Set<number>()
  const visit = (address: number): void => {
    reached.add(address)
    const node = store.load(address)
    if (node.kind === BRANCH) {
      for (const child of node.children) visit(child as number)
      return
    }
    if (node.patch !== null) bases.add(node.base)
    for (const a of node.values.addresses ?? []) if (typeof a === 'number') reached.add(a)
  }
  if (root !== 0) visit(root)
  return { reached, bases }
}

describe('bplus cache after commits', () => {
  it('holds only what the newest root reaches, and keeps what it reaches (seeded small transactions, rollbacks, cold reads)', () => {
    const seed = testSeed('bplus cache after commits')
    const rand = prng(seed)
    // Small nodes and a small inline bound: splits, merges, patches and values kept apart.
    const h = new Harness(createBPlusTree({ order: 8, branchOrder: 6, inlineValueMax: 12 }))
    const cache = new NodeCache(64 * 1024 * 1024)
    const model = new Map<string, Uint8Array>()
    const value = (): Uint8Array => enc('v'.repeat(randomInt(rand, 31)))
    const key = (): string => hex(enc(`k${randomInt(rand, 400)}`))
    let root = 0
    let tree = h.open(root, cache)
    let dropped = 0
    for (let t = 0; t < 300; t++) {
      if (rand() < 0.2) {
        // Cold reads: entries dropped at random and read again, patched leaves with their bases.
        const cached = [...cache.addresses()]
        for (let n = 0; n < 5 && cached.length > 0; n++) cache.delete(cached[randomInt(rand, cached.length)]!)
        for (let n = 0; n < 5; n++) tree.get(unhex(key()))
      }
      const before = new Set(cache.addresses())
      // The committed tree goes on, or a new one opens its root (as @dbdb/dbdb does).
      if (rand() < 0.5) tree = h.open(root, cache)
      const ops = t < 20 ? 40 : 1 + randomInt(rand, 6)
      const savepoints = savepointsAtRandom(rand, tree, model)
      for (let o = 0; o < ops; o++) {
        savepoints()
        const k = key()
        if (rand() < 0.3) {
          tree.delete(unhex(k))
          model.delete(k)
        } else {
          const v = value()
          tree.set(unhex(k), v)
          model.set(k, v)
        }
      }
      root = h.commit(tree)
      const { reached, bases } = reachable(h, root)
      const after = new Set(cache.addresses())
      for (const a of after)
        ok(reached.has(a) || bases.has(a), `seed ${seed}, commit ${t}: the cache still holds ${a}, which the newest root does not reach`)
      for (const a of before) {
        if (reached.has(a)) ok(after.has(a), `seed ${seed}, commit ${t}: ${a} was dropped but is still reached`)
        else if (!after.has(a)) dropped++
      }
    }
    deepStrictEqual(asHex(h.open(root, new NodeCache(0)).entries()), asHex(sortedModel(model)), `seed ${seed}`)
    ok(dropped > 1000, `seed ${seed}: only ${dropped} records were dropped`)
  })

  it('a rolled-back change drops nothing: the nodes it had copied are the live ones again', () => {
    const h = new Harness(createBPlusTree({ order: 8 }))
    const cache = new NodeCache(64 * 1024 * 1024)
    const load = h.open(0, cache)
    for (let i = 0; i < 500; i++) load.set(enc(`k${String(i).padStart(4, '0')}`), enc(`v${i}`))
    const root = h.commit(load)
    const cached = [...cache.addresses()].sort((a, b) => a - b)
    const tree = h.open(root, cache)
    const point = tree.savepoint()
    for (let i = 0; i < 500; i += 7) tree.set(enc(`k${String(i).padStart(4, '0')}`), enc('changed'))
    tree.rollbackTo(point)
    deepStrictEqual(h.commit(tree), root)
    deepStrictEqual(
      [...cache.addresses()].sort((a, b) => a - b),
      cached,
    )
  })
})
