// Seeded random writes against a Map model, each transaction with orders of its own
// (and now and then a rebuild, as compaction makes, with others again): after every
// commit the tree must hold the model, check() must find it sound opened with the
// orders that wrote it, the defaults or any others, and its fill must keep the rule
// of the range of the orders written with since the last rebuild (fill.fixture.ts).
import { deepStrictEqual, equal } from 'node:assert/strict'
import { jsonCodec, msgpackCodec } from '@dbdb/codec'
import { type Entry, type LogicalTree, NodeCache, type NodeCodec, type TreeFactory } from '@dbdb/logical'
import { prng, randomBytes, randomInt, testSeed } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { checkFill } from './fill.fixture.js'
import { asHex, Harness, hex, sortedModel, unhex } from './harness.fixture.js'
import { type BPlusTreeOptions, bplusTree, createBPlusTree } from './index.js'

/** Orders from the smallest to past the defaults, small ones more often (they make deep trees). */
function randomFactory(rand: () => number): { factory: TreeFactory; orders: BPlusTreeOptions; label: string } {
  const order = rand() < 0.7 ? 3 + randomInt(rand, 14) : [32, 64, 100][randomInt(rand, 3)]!
  const branchOrder = rand() < 0.3 ? undefined : 3 + randomInt(rand, rand() < 0.7 ? 14 : 200)
  return {
    factory: createBPlusTree({ order, branchOrder, inlineValueMax: 12 }),
    orders: { order, branchOrder },
    label: `order ${order}, branches ${branchOrder ?? 2 * order}`,
  }
}

function run(codec: NodeCodec, label: string, transactions: number): void {
  const seed = testSeed(label)
  const rand = prng(seed)
  const h = new Harness(bplusTree, codec)
  const model = new Map<string, Uint8Array>()
  let keyList: string[] | undefined
  const randomKey = (): Uint8Array => randomBytes(rand, 1 + randomInt(rand, 4), 6)
  const existingKey = (): Uint8Array => {
    keyList ??= [...model.keys()]
    return keyList.length === 0 ? randomKey() : unhex(keyList[randomInt(rand, keyList.length)]!)
  }
  const open = (factory: TreeFactory, root: number, cache = new NodeCache(0)): LogicalTree =>
    factory.open({ storage: h.storage, codec, cache }, root)
  let root = 0
  let cache = new NodeCache(1 << 20)
  /** The orders the tree was written with since the last rebuild. */
  let writers: BPlusTreeOptions[] = []

  for (let tx = 0; tx < transactions; tx++) {
    const writer = randomFactory(rand)
    const where = `seed ${seed}, transaction ${tx} (${writer.label})`
    if (rand() < 0.08) {
      // A rebuild from the model, as compaction writes one.
      h.storage.lock()
      const entries = sortedModel(model) as Entry[]
      root = writer.factory.build!({ storage: h.storage, codec, cache }, entries, entries.length)
      h.storage.commit(root)
      h.storage.unlock()
      writers = [writer.orders]
    } else {
      writers.push(writer.orders)
      const tree = open(writer.factory, root, rand() < 0.5 ? cache : new NodeCache(0))
      // Growing and shrinking stretches: splits with one order, merges with another.
      const growing = Math.floor(tx / 8) % 2 === 0
      const ops = 1 + randomInt(rand, rand() < 0.2 ? 600 : 60)
      keyList = undefined
      for (let i = 0; i < ops; i++) {
        if (rand() < (growing ? 0.7 : 0.25)) {
          const k = rand() < 0.2 ? existingKey() : randomKey()
          const v = randomBytes(rand, randomInt(rand, 20))
          tree.set(k, v)
          model.set(hex(k), v)
        } else {
          const k = rand() < 0.8 ? existingKey() : randomKey()
          equal(tree.delete(k), model.delete(hex(k)), where)
        }
      }
      equal(tree.size, model.size, where)
      tree.check()
      checkFill(tree, ...writers)
      root = h.commit(tree)
      tree.check()
    }
    if (rand() < 0.3) cache = new NodeCache(rand() < 0.5 ? 0 : 1 << 20)
    // Judged opened with the defaults and with other orders, and by the rule of the orders that wrote it.
    for (const reader of [bplusTree, randomFactory(rand).factory]) {
      const tree = open(reader, root)
      tree.check()
      equal(tree.size, model.size, where)
    }
    checkFill(open(bplusTree, root), ...writers)
    deepStrictEqual(asHex(open(bplusTree, root).entries()), asHex(sortedModel(model)), where)
  }
}

describe('bplus across random orders against a Map model', () => {
  for (const [codec, transactions] of [
    [msgpackCodec, 160],
    [jsonCodec, 60],
  ] as const) {
    const label = `bplus random orders / ${codec.id}`
    it(label, () => run(codec, label, transactions))
  }
})
