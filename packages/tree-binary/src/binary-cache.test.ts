// A commit drops from the cache the stored nodes and values it replaced
// (NodeStore.superseded): a writer's cache holds what its newest root reaches, not
// every version of the paths it rewrote. DBDB_SEED replays a run.
import { deepStrictEqual, ok } from 'node:assert/strict'
import { NodeCache, NodeStore } from '@dbdb/logical'
import { prng, randomInt, savepointsAtRandom, testSeed } from '@dbdb/logical/testing'
import { it } from 'vitest'
import { type BinaryNode, binaryNodeType } from './binary-node.js'
import { type BinaryTree, binaryTree } from './binary-tree.js'
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
  const open = (root: number): BinaryTree => binaryTree.open({ storage: h.storage, codec: h.codec, cache }, root) as BinaryTree
  let root = 0
  let tree = open(root)
  let dropped = 0
  for (let t = 0; t < 300; t++) {
    const before = new Set(cache.addresses())
    // The committed tree goes on, or a new one opens its root (as @dbdb/dbdb does).
    if (rand() < 0.5) tree = open(root)
    const ops = t < 10 ? 60 : 1 + randomInt(rand, 6)
    const savepoints = savepointsAtRandom(rand, tree, model)
    for (let o = 0; o < ops; o++) {
      savepoints()
      const k = String(randomInt(rand, 300)).padStart(3, '0')
      if (rand() < 0.35) {
        tree.delete(enc(k))
        model.delete(k)
      } else {
        tree.set(enc(k), enc(`v${t}.${o}`))
        model.set(k, `v${t}.${o}`)
      }
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
  deepStrictEqual(
    entries,
    [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    `seed ${seed}`,
  )
  ok(dropped > 1000, `seed ${seed}: only ${dropped} records were dropped`)
})

it('an edit that fails on a read supersedes nothing', () => {
  const h = new Harness()
  const cache = new NodeCache(64 * 1024 * 1024)
  const tree = binaryTree.open({ storage: h.storage, codec: h.codec, cache }, 0) as BinaryTree
  for (let i = 0; i < 100; i++) tree.set(enc(String(i).padStart(3, '0')), enc(`v${i}`))
  h.commit(tree)
  const read = h.storage.read.bind(h.storage)
  let reads = 0
  // The fourth read fails: a few nodes down the path of each failed edit below.
  h.storage.read = (address: number) => {
    if (++reads === 4) throw new Error('injected')
    return read(address)
  }
  for (const edit of [() => tree.set(enc('050'), enc('x')), () => tree.delete(enc('051'))]) {
    cache.clear() // every node of the path is read from the file again
    reads = 0
    let threw = false
    try {
      edit()
    } catch {
      threw = true
    }
    ok(threw)
  }
  delete (h.storage as { read?: unknown }).read
  // One edit that succeeds, elsewhere; its commit drops only what it replaced.
  tree.get(enc('050'))
  tree.get(enc('051'))
  const before = new Set(cache.addresses())
  tree.set(enc('099'), enc('y'))
  const root = h.commit(tree)
  const reached = reachable(h, root)
  const after = new Set(cache.addresses())
  for (const a of before) if (reached.has(a)) ok(after.has(a), `${a} was dropped but is still reached`)
  deepStrictEqual(dec(tree.get(enc('050'))), 'v50')
  deepStrictEqual(dec(tree.get(enc('051'))), 'v51')
})
