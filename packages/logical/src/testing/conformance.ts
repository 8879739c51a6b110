// The conformance suite every LogicalTree runs against itself, ours or a third
// party's: pass in your test framework's describe/it and a factory.
//
//   import { defineTreeConformance } from '@dbdb/logical/testing'
//   defineTreeConformance({ describe, it }, { factory: myTreeFactory, codec: msgpackCodec })

import { deepStrictEqual, equal, ok, throws } from 'node:assert/strict'
import { MemoryStorage } from '@dbdb/storage'
import { compareKeys, type Range } from '../keys.js'
import type { LogicalTree, TreeFactory } from '../logical-tree.js'
import { NodeCache } from '../node-cache.js'
import type { NodeCodec } from '../node-store.js'
import { prng, randomBytes, randomInt, testSeed } from './random.js'

export interface TestApi {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => void | Promise<void>, timeout?: number): void
}

export interface ConformanceOptions {
  factory: TreeFactory
  /** The node codec to store nodes with. Run the suite once per codec you support. */
  codec: NodeCodec
  /** Extra label for the describe block (e.g. a node size). */
  label?: string
  /** Scale of the random model test (operations); default 3000. */
  operations?: number
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

class Harness {
  readonly storage = new MemoryStorage()
  constructor(readonly options: ConformanceOptions) {}

  open(root = 0, cacheBytes = 1 << 20): LogicalTree {
    return this.options.factory.open({ storage: this.storage, codec: this.options.codec, cache: new NodeCache(cacheBytes) }, root)
  }

  /** Commits `tree` and reopens it from the root address through a cold cache. */
  reopen(tree: LogicalTree, cacheBytes?: number): LogicalTree {
    this.storage.lock()
    const root = tree.commit()
    this.storage.commit(root)
    this.storage.unlock()
    tree.check()
    const again = this.open(root, cacheBytes)
    again.check()
    return again
  }
}

function sortedModel(model: Map<string, string>): Array<[string, string]> {
  return [...model.entries()].sort((a, b) => compareKeys(enc(a[0]), enc(b[0])))
}

/** The model's answer to a range query; pass `sorted` (sortedModel) when asking many. */
function modelRange(model: Map<string, string>, r: Range, sorted = sortedModel(model)): Array<[string, string]> {
  let rows = sorted.filter(([k]) => {
    const key = enc(k)
    if (r.gte !== undefined ? compareKeys(key, r.gte) < 0 : r.gt !== undefined && compareKeys(key, r.gt) <= 0) return false
    if (r.lte !== undefined ? compareKeys(key, r.lte) > 0 : r.lt !== undefined && compareKeys(key, r.lt) >= 0) return false
    return true
  })
  if (r.reverse) rows = rows.reverse()
  if (r.limit !== undefined && r.limit >= 0) rows = rows.slice(0, r.limit)
  return rows
}

function treeRange(tree: LogicalTree, r?: Range): Array<[string, string]> {
  return [...tree.entries(r)].map(([k, v]) => [dec(k), dec(v)])
}

export function defineTreeConformance(api: TestApi, options: ConformanceOptions): void {
  const { describe, it } = api
  const name = `LogicalTree conformance: ${options.factory.id} / ${options.codec.id}${options.label ? ` / ${options.label}` : ''}`
  describe(name, () => {
    const fresh = () => new Harness(options)

    it('an empty tree has nothing', () => {
      const h = fresh()
      const t = h.open()
      equal(t.size, 0)
      equal(t.get(enc('a')), undefined)
      equal(t.has(enc('a')), false)
      equal(t.delete(enc('a')), false)
      deepStrictEqual(treeRange(t), [])
      equal(t.count(), 0)
      equal(t.height, 0)
      t.check()
      const again = h.reopen(t)
      equal(again.size, 0)
    })

    it('sets, gets and overwrites', () => {
      const t = fresh().open()
      t.set(enc('a'), enc('b'))
      equal(dec(t.get(enc('a'))!), 'b')
      t.set(enc('a'), enc('c'))
      equal(dec(t.get(enc('a'))!), 'c')
      equal(t.size, 1)
      equal(t.dirty, true)
      t.check()
    })

    it('deletes leaves, inner keys and missing keys', () => {
      for (const [keys, victim] of [
        [['b'], 'b'],
        [['b', 'a'], 'b'],
        [['b', 'c'], 'b'],
        [['b', 'a', 'c'], 'b'],
      ] as const) {
        const t = fresh().open()
        for (const k of keys) t.set(enc(k), enc(k.toUpperCase()))
        equal(t.delete(enc(victim)), true)
        equal(t.get(enc(victim)), undefined)
        equal(t.delete(enc(victim)), false)
        for (const k of keys) if (k !== victim) equal(dec(t.get(enc(k))!), k.toUpperCase())
        equal(t.size, keys.length - 1)
        t.check()
      }
    })

    it('orders keys by unsigned bytes, including empty keys, 0x00 and 0xff', () => {
      const t = fresh().open()
      const keys = [
        Uint8Array.of(),
        Uint8Array.of(0),
        Uint8Array.of(0, 0),
        Uint8Array.of(1),
        Uint8Array.of(0x7f),
        Uint8Array.of(0x80),
        Uint8Array.of(0xff),
        Uint8Array.of(0xff, 0),
      ]
      for (const k of [...keys].reverse()) t.set(k, k)
      deepStrictEqual(
        [...t.entries()].map(([k]) => [...k]),
        keys.map((k) => [...k]),
      )
      deepStrictEqual(
        [...t.entries({ reverse: true })].map(([k]) => [...k]),
        keys.map((k) => [...k]).reverse(),
      )
      for (const k of keys) deepStrictEqual([...t.get(k)!], [...k])
      t.check()
    })

    it('persists through commit and reopen from the root address', () => {
      const h = fresh()
      const t = h.open()
      for (let i = 0; i < 500; i++) t.set(enc(`key${i}`), enc(`value${i}`))
      const again = h.reopen(t)
      equal(again.size, 500)
      equal(again.dirty, false)
      for (let i = 0; i < 500; i++) equal(dec(again.get(enc(`key${i}`))!), `value${i}`)
      again.delete(enc('key7'))
      again.set(enc('key8'), enc('eight'))
      const third = h.reopen(again)
      equal(third.size, 499)
      equal(third.get(enc('key7')), undefined)
      equal(dec(third.get(enc('key8'))!), 'eight')
    })

    it('a commit with nothing dirty stores nothing', () => {
      const h = fresh()
      const t = h.reopen(h.open())
      const before = h.storage.stats.appends
      h.storage.lock()
      t.commit()
      h.storage.unlock()
      equal(h.storage.stats.appends, before)
    })

    it('stores values of every size, byte for byte', () => {
      const h = fresh()
      const t = h.open()
      const rand = prng(7)
      const sizes = [0, 1, 100, 1000, 5000, 70_000]
      for (const n of sizes) t.set(enc(`v${n}`), randomBytes(rand, n))
      const again = h.reopen(t)
      const check = prng(7)
      for (const n of sizes) deepStrictEqual([...again.get(enc(`v${n}`))!], [...randomBytes(check, n)])
    })

    it('keeps sorted and reverse-sorted inserts balanced (10,000 keys)', () => {
      for (const order of ['ascending', 'descending']) {
        const h = fresh()
        const t = h.open()
        for (let i = 0; i < 10_000; i++) {
          const n = order === 'ascending' ? i : 9_999 - i
          t.set(enc(String(n).padStart(6, '0')), enc(String(n)))
        }
        t.check()
        ok(t.height <= 2 * Math.ceil(Math.log2(10_001)), `height ${t.height} is not logarithmic (${order})`)
        const again = h.reopen(t)
        equal(again.size, 10_000)
        equal(dec(again.get(enc('004321'))!), '4321')
      }
    }, 30_000)

    it('answers every kind of range, forwards and backwards, with limits', () => {
      const h = fresh()
      const t = h.open()
      const model = new Map<string, string>()
      for (let i = 0; i < 300; i += 3) {
        const k = String(i).padStart(3, '0')
        t.set(enc(k), enc(`v${i}`))
        model.set(k, `v${i}`)
      }
      const tree = h.reopen(t)
      const sorted = sortedModel(model)
      const probes = ['', '000', '001', '003', '150', '151', '297', '298', '299', '300', '999']
      for (const a of probes) {
        for (const b of probes) {
          for (const lo of ['gt', 'gte', undefined] as const) {
            for (const hi of ['lt', 'lte', undefined] as const) {
              for (const reverse of [false, true]) {
                for (const limit of [undefined, 0, 1, 5]) {
                  const r: Range = { reverse }
                  if (lo) r[lo] = enc(a)
                  if (hi) r[hi] = enc(b)
                  if (limit !== undefined) r.limit = limit
                  deepStrictEqual(treeRange(tree, r), modelRange(model, r, sorted), JSON.stringify({ lo, a, hi, b, reverse, limit }))
                  equal(tree.count(r), modelRange(model, r, sorted).length, `count ${JSON.stringify({ lo, a, hi, b, limit })}`)
                }
              }
            }
          }
        }
      }
    }, 30_000)

    it('an iterator sees the tree as it was when it started', () => {
      const h = fresh()
      const t = h.open()
      for (let i = 0; i < 200; i++) t.set(enc(String(i).padStart(3, '0')), enc('old'))
      const it = t.entries()
      // A write before the first next(): the iterator must still see the state at entries().
      t.set(enc('000a'), enc('new'))
      const first = it.next()
      ok(!first.done)
      for (let i = 0; i < 200; i += 2) t.delete(enc(String(i).padStart(3, '0')))
      for (let i = 0; i < 200; i++) t.set(enc(`x${i}`), enc('new'))
      const clean = h.reopen(t)
      clean.set(enc('001'), enc('changed'))
      const rest = [...it]
      equal(rest.length, 199)
      ok(rest.every(([, v]) => dec(v) === 'old'))
    })

    it('rolls back to a savepoint, and savepoints nest', () => {
      const t = fresh().open()
      t.set(enc('a'), enc('1'))
      const outer = t.savepoint()
      t.set(enc('b'), enc('2'))
      const inner = t.savepoint()
      t.delete(enc('a'))
      t.rollbackTo(inner)
      equal(dec(t.get(enc('a'))!), '1')
      equal(dec(t.get(enc('b'))!), '2')
      t.rollbackTo(outer)
      equal(t.get(enc('b')), undefined)
      equal(t.size, 1)
      t.check()
    })

    it('works with a cache far smaller than the tree', () => {
      const h = fresh()
      const t = h.open()
      for (let i = 0; i < 3000; i++) t.set(enc(`k${String(i).padStart(5, '0')}`), enc(`v${i}`.repeat(10)))
      const tiny = h.reopen(t, 4096)
      equal(tiny.size, 3000)
      for (let i = 0; i < 3000; i += 97) equal(dec(tiny.get(enc(`k${String(i).padStart(5, '0')}`))!), `v${i}`.repeat(10))
      equal([...tiny.entries()].length, 3000)
    })

    it('reports a damaged node as DBDB_CORRUPT, never as data', () => {
      const h = fresh()
      const t = h.open()
      for (let i = 0; i < 50; i++) t.set(enc(`k${i}`), enc(`v${i}`))
      h.storage.lock()
      const root = t.commit()
      h.storage.commit(root)
      // A record that decodes to garbage stands where the root should be.
      h.storage.lock()
      const bogus = h.storage.append(options.codec.encode(['not', 'a', 'node', 42]))
      h.storage.commit(bogus)
      h.storage.unlock()
      throws(
        () => {
          const broken = h.open(bogus)
          broken.get(enc('k1'))
          broken.check()
        },
        (err: unknown) => (err as { code?: string }).code === 'DBDB_CORRUPT',
      )
    })

    it(`matches a Map model under random set/delete/commit/reopen/savepoint`, () => {
      const seed = testSeed(`${name} model`)
      const rand = prng(seed)
      const h = fresh()
      let tree = h.open()
      const model = new Map<string, string>()
      let mark: { tree: unknown; model: Map<string, string> } | undefined
      const ops = options.operations ?? 3000
      const keyOf = () => String(randomInt(rand, 400)).padStart(3, '0') + (rand() < 0.1 ? '\u00e9' : '')
      for (let i = 0; i < ops; i++) {
        const r = rand()
        const where = `seed ${seed}, op ${i}`
        if (r < 0.5) {
          const k = keyOf()
          const v = `v${i}`.repeat(1 + randomInt(rand, 4))
          tree.set(enc(k), enc(v))
          model.set(k, v)
        } else if (r < 0.8) {
          const k = keyOf()
          equal(tree.delete(enc(k)), model.delete(k), where)
        } else if (r < 0.85) {
          tree = h.reopen(tree, rand() < 0.5 ? 2048 : 1 << 20)
          mark = undefined
        } else if (r < 0.88) {
          mark = { tree: tree.savepoint(), model: new Map(model) }
        } else if (r < 0.9 && mark) {
          tree.rollbackTo(mark.tree)
          model.clear()
          for (const [k, v] of mark.model) model.set(k, v)
        } else if (r < 0.97) {
          const k = keyOf()
          const got = tree.get(enc(k))
          equal(got === undefined ? undefined : dec(got), model.get(k), where)
          equal(tree.has(enc(k)), model.has(k), where)
        } else {
          const a = keyOf()
          const range: Range = { gte: enc(a), reverse: rand() < 0.5, limit: randomInt(rand, 20) }
          deepStrictEqual(treeRange(tree, range), modelRange(model, range), where)
        }
        equal(tree.size, model.size, where)
      }
      tree.check()
      deepStrictEqual(treeRange(tree), sortedModel(model))
      const final = h.reopen(tree)
      deepStrictEqual(treeRange(final), sortedModel(model))
    }, 60_000)
  })
}
