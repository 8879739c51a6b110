// Seeded random set/delete/commit/reopen against a Map model, with check() after
// every commit: at several node sizes and both node codecs. Also checks that what
// an iterator, a savepoint or a reader of an older commit sees never changes.
import { deepStrictEqual, equal } from 'node:assert/strict'
import { jsonCodec, msgpackCodec } from '@dbdb/codec'
import { type LogicalTree, NodeCache, type NodeCodec, type Range } from '@dbdb/logical'
import { prng, randomBytes, randomInt, testSeed } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { asHex, enc, Harness, hex, unhex } from './harness.fixture.js'
import { DEFAULT_ORDER } from './index.js'

/** Hex of each key to hex of its value. */
type Model = Map<string, string>
type Rows = Array<[string, string]>

/** Model rows in key order: lowercase hex sorts exactly like the bytes it spells. */
function rows(model: Model, range: Range = {}): Rows {
  const lo = range.gte ?? range.gt
  const hi = range.lte ?? range.lt
  const loHex = lo && hex(lo)
  const hiHex = hi && hex(hi)
  let out = [...model.keys()]
    .filter((k) => {
      if (loHex !== undefined && (range.gte ? k < loHex : k <= loHex)) return false
      if (hiHex !== undefined && (range.lte ? k > hiHex : k >= hiHex)) return false
      return true
    })
    .sort()
  if (range.reverse) out = out.reverse()
  if (range.limit !== undefined && range.limit >= 0) out = out.slice(0, range.limit)
  return out.map((k) => [k, model.get(k)!])
}

interface Config {
  order: number
  /** Default: twice the order. */
  branchOrder?: number
  /** Keys are mostly keyLength bytes, some shorter, over an alphabet of `alphabet` values: many shared prefixes. */
  keyLength: number
  alphabet: number
  /** Random keys set before the random operations start, so large orders reach height 3. */
  preload: number
  ops: number
  commitEvery: number
}

const configs: Config[] = [
  { order: 4, keyLength: 5, alphabet: 4, preload: 0, ops: 6000, commitEvery: 80 },
  { order: 8, branchOrder: 3, keyLength: 5, alphabet: 5, preload: 0, ops: 8000, commitEvery: 150 },
  { order: DEFAULT_ORDER, keyLength: 5, alphabet: 8, preload: 5000, ops: 8000, commitEvery: 500 },
  // Commits of a few changes: leaves are written as patches (see node-format.ts).
  { order: 32, keyLength: 5, alphabet: 8, preload: 1000, ops: 1200, commitEvery: 3 },
]

function run(config: Config, codec: NodeCodec, label: string): void {
  const seed = testSeed(label)
  const rand = prng(seed)
  // Small values are inline, larger ones get records of their own.
  const h = new Harness(strictBPlusTree({ order: config.order, branchOrder: config.branchOrder, inlineValueMax: 12 }), codec)
  let cache = new NodeCache(1 << 20)
  let tree: LogicalTree = h.open(0, cache)
  const model: Model = new Map()
  const readers: Array<{ tree: LogicalTree; rows: Rows }> = []
  const iterators: Array<{ it: Iterator<[Uint8Array, Uint8Array]>; rows: Rows }> = []
  let savepoints: Array<{ mark: unknown; model: Model }> = []

  const randomKey = (): Uint8Array =>
    randomBytes(rand, rand() < 0.3 ? randomInt(rand, config.keyLength) : config.keyLength, config.alphabet)
  // Picks a key of the model at random; rebuilt lazily, as the model changes.
  let keyList: string[] | undefined
  const existingKey = (): Uint8Array => {
    keyList ??= [...model.keys()]
    return keyList.length === 0 ? randomKey() : unhex(keyList[randomInt(rand, keyList.length)]!)
  }
  const randomRange = (): Range => {
    const r: Range = { reverse: rand() < 0.5 }
    const lo = rand()
    if (lo < 0.4) r.gte = randomKey()
    else if (lo < 0.8) r.gt = randomKey()
    const hi = rand()
    if (hi < 0.4) r.lte = randomKey()
    else if (hi < 0.8) r.lt = randomKey()
    if (rand() < 0.5) r.limit = randomInt(rand, 25)
    return r
  }
  const drain = (entry: { it: Iterator<[Uint8Array, Uint8Array]>; rows: Rows }, where: string) => {
    const rest: Rows = []
    for (let r = entry.it.next(); !r.done; r = entry.it.next()) rest.push([hex(r.value[0]), hex(r.value[1])])
    deepStrictEqual(rest, entry.rows.slice(1), `an iterator changed under us (${where})`)
  }

  for (let i = 0; i < config.preload; i++) {
    const k = randomKey()
    const v = randomBytes(rand, randomInt(rand, 16))
    tree.set(k, v)
    model.set(hex(k), hex(v))
  }
  const phaseLength = Math.floor(config.ops / 4)
  for (let i = 0; i < config.ops; i++) {
    const where = `seed ${seed}, op ${i}`
    const growing = Math.floor(i / phaseLength) % 2 === 0
    const r = rand()
    if (i % 50 === 0) keyList = undefined
    // Growing phases mostly set, shrinking ones mostly delete: splits, then merges and root collapses.
    if (r < (growing ? 0.75 : 0.15)) {
      const k = rand() < 0.2 ? existingKey() : randomKey()
      const v = randomBytes(rand, randomInt(rand, rand() < 0.9 ? 12 : 40))
      tree.set(k, v)
      model.set(hex(k), hex(v))
    } else if (r < 0.8) {
      const k = rand() < 0.7 ? existingKey() : randomKey()
      equal(tree.delete(k), model.delete(hex(k)), where)
    } else if (r < 0.9) {
      const k = rand() < 0.5 ? existingKey() : randomKey()
      const got = tree.get(k)
      const want = model.get(hex(k))
      equal(got === undefined ? undefined : hex(got), want, where)
      equal(tree.has(k), want !== undefined, where)
    } else if (r < 0.92) {
      const range = randomRange()
      deepStrictEqual(asHex(tree.entries(range)), rows(model, range), `${where}: ${JSON.stringify(range)}`)
      equal(tree.count({ ...range, limit: undefined }), rows(model, { ...range, limit: undefined }).length, where)
    } else if (r < 0.93) {
      if (iterators.length >= 2) drain(iterators.shift()!, where)
      const it = tree.entries()
      const expected = rows(model)
      const first = it.next()
      deepStrictEqual(first.done ? undefined : [hex(first.value[0]), hex(first.value[1])], expected[0], where)
      iterators.push({ it, rows: expected })
    } else if (r < 0.94) {
      savepoints.push({ mark: tree.savepoint(), model: new Map(model) })
    } else if (r < 0.9415 && savepoints.length > 0) {
      const s = savepoints.splice(randomInt(rand, savepoints.length))[0]!
      tree.rollbackTo(s.mark)
      model.clear()
      for (const [k, v] of s.model) model.set(k, v)
    }
    equal(tree.size, model.size, where)
    // Between commits too, while the tree is small enough for that to be cheap.
    if (i % 97 === 0 && model.size < 1000) tree.check()

    if (i % config.commitEvery === config.commitEvery - 1 || i === config.ops - 1) {
      const root = h.commit(tree)
      equal(tree.dirty, false, where)
      tree.check()
      savepoints = []
      if (readers.length >= 3) {
        const old = readers.shift()!
        deepStrictEqual(asHex(old.tree.entries()), old.rows, `a reader of an older commit changed (${where})`)
      }
      const expected = rows(model)
      // A reader sharing the writer's cache: the writer must never change a cached node.
      readers.push({ tree: h.open(root, cache), rows: expected })
      if (rand() < 0.5) {
        cache = new NodeCache([0, 4096, 1 << 20][randomInt(rand, 3)]!)
        tree = h.open(root, cache)
        tree.check()
        deepStrictEqual(asHex(tree.entries()), expected, where)
      }
    }
  }

  for (const entry of iterators) drain(entry, 'at the end')
  for (const reader of readers) deepStrictEqual(asHex(reader.tree.entries()), reader.rows, 'a reader changed')
  // Empty the tree: the root collapses level by level to nothing.
  for (const k of [...model.keys()]) equal(tree.delete(unhex(k)), true)
  model.clear()
  equal(tree.size, 0)
  equal(tree.height, 0)
  tree.check()
  equal(h.commit(tree), 0)
  equal(h.open(0).size, 0)
}

/**
 * Appends in key order (the right-edge splits) mixed with deletes near the end and
 * anywhere, and a few inserts in the middle: the right edge grows and shrinks.
 */
function runAppends(order: number, codec: NodeCodec, label: string): void {
  const seed = testSeed(label)
  const rand = prng(seed)
  const h = new Harness(strictBPlusTree({ order }), codec)
  let tree = h.open(0, new NodeCache(1 << 20))
  const model: Model = new Map()
  const key = (n: number) => enc(`${String(n).padStart(6, '0')}`)
  let next = 0
  for (let i = 0; i < 6000; i++) {
    const where = `seed ${seed}, op ${i}`
    const r = rand()
    if (r < 0.6) {
      const k = key(next++)
      tree.set(k, k)
      model.set(hex(k), hex(k))
    } else if (r < 0.85) {
      // Mostly near the end, where the right edge may be thin.
      const n = rand() < 0.7 ? next - 1 - randomInt(rand, 2 * order) : randomInt(rand, next + 1)
      const k = key(n)
      equal(tree.delete(k), model.delete(hex(k)), where)
    } else if (r < 0.9) {
      const k = enc(`${String(randomInt(rand, next + 1)).padStart(6, '0')}.5`)
      tree.set(k, k)
      model.set(hex(k), hex(k))
    } else if (r < 0.91) {
      // A burst of deletes from the end empties the last leaves and branches.
      for (let n = next - 1; n >= Math.max(0, next - 3 * order); n--) {
        equal(tree.delete(key(n)), model.delete(hex(key(n))), where)
      }
      next = Math.max(0, next - 3 * order)
    }
    equal(tree.size, model.size, where)
    if (i % 25 === 0) tree.check()
    if (i % 500 === 499) {
      const root = h.commit(tree)
      tree.check()
      tree = h.open(root, new NodeCache(rand() < 0.5 ? 0 : 1 << 20))
      tree.check()
      deepStrictEqual(asHex(tree.entries()), rows(model), where)
    }
  }
}

describe('bplus appending in key order', () => {
  for (const [codec, order] of [
    [msgpackCodec, 3],
    [msgpackCodec, 4],
    [msgpackCodec, 8],
    [jsonCodec, 4],
  ] as const) {
    const label = `bplus appends / ${codec.id} / order ${order}`
    it(label, () => runAppends(order, codec, label))
  }
})

describe('bplus against a Map model', () => {
  for (const codec of [msgpackCodec, jsonCodec]) {
    for (const config of configs) {
      const label = `bplus model / ${codec.id} / order ${config.order}${config.branchOrder ? `, branches ${config.branchOrder}` : ''}`
      it(label, () => run(config, codec, label))
    }
  }
})
