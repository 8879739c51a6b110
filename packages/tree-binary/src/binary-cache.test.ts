// A commit drops from the cache the stored nodes and values it replaced
// (NodeStore.superseded): a writer's cache holds what its newest root reaches, not
// every version of the paths it rewrote. DBDB_SEED replays a run.
import { deepStrictEqual, ok } from 'node:assert/strict'
import { NodeCache, NodeStore } from '@dbdb/logical'
import { prng, randomInt, testSeed } from '@dbdb/logical/testing'
import { it } from 'vitest'
import { BinaryNode, binaryNodeType } from './binary-node.js'
import { BinaryTree, binaryTree } from './binary-tree.js'
import { dec, enc, Harness } from './test-harness.fixture.js'

/** Every record a reader of `root` reaches: its nodes and their values. */
function reachable(h: Harness, root: number): Set<number> {
  const store = new NodeStore<BinaryNode>(h.storage, h.codec, new NodeCache(0), binaryNodeType)
  const out = new Set<number>()
  const visit = (address: number | undefined): void => {
    if (address === undefined) return
    out.add(address)
    const node = store.load(address)
    out.add(node.value as number)
    visit(node.left as number | undefined)
    visit(node.right as number | undefined)
  }
  if (root !== 0) visit(root)
  return out
}

it('a commit leaves in the cache only what the newest root reaches, and keeps what it reaches', () => {
  const seed = testSeed('tree-binary cache after commits')
  const rand = prng(seed)
  const h = new Harness()
  const cache = new NodeCache(64 * 1024 * 1024)
  const model = new Map<string, string>()
  let root = 0
  let dropped = 0
  for (let t = 0; t < 300; t++) {
    const before = new Set(cache.addresses())
    const tree = binaryTree.open({ storage: h.storage, codec: h.codec, cache }, root) as BinaryTree
    let saved: { point: unknown; model: Map<string, string> } | undefined
    const ops = t < 10 ? 60 : 1 + randomInt(rand, 6)
    for (let o = 0; o < ops; o++) {
      if (saved === undefined && rand() < 0.05) saved = { point: tree.savepoint(), model: new Map(model) }
      const k = String(randomInt(rand, 300)).padStart(3, '0')
      if (rand() < 0.35) {
        tree.delete(enc(k))
        model.delete(k)
      } else {
        tree.set(enc(k), enc(`v${t}.${o}`))
        model.set(k, `v${t}.${o}`)
      }
    }
    if (saved !== undefined && rand() < 0.5) {
      tree.rollbackTo(saved.point)
      model.clear()
      for (const [k, v] of saved.model) model.set(k, v)
    }
    root = h.commit(tree)
    const reached = reachable(h, root)
    const after = new Set(cache.addresses())
    for (const a of after) ok(reached.has(a), `seed ${seed}, commit ${t}: the cache still holds ${a}, which the newest root does not reach`)
    for (const a of before) {
      if (reached.has(a)) ok(after.has(a), `seed ${seed}, commit ${t}: ${a} was dropped but is still reached`)
      else if (!after.has(a)) dropped++
    }
  }
  const entries = [...h.open(root).entries()].map(([k, v]) => [dec(k), dec(v)])
  deepStrictEqual(entries, [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1)), `seed ${seed}`)
  ok(dropped > 1000, `seed ${seed}: only ${dropped} records were dropped`)
})
