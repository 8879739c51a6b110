// check() of a tree written with other orders than it is opened with: the file does
// not say which orders wrote it, so check() judges fill only by what every order
// keeps, and a sound tree is sound whatever orders open it. Damage stays damage:
// a node no order writes, keys out of order, wrong counts. The editor's stricter
// rule for given orders is asserted with checkFill (fill.fixture.ts).
import { deepStrictEqual, equal, ok } from 'node:assert/strict'
import { msgpackCodec } from '@dbdb/codec'
import { type Entry, type LogicalTree, NodeCache, type TreeFactory } from '@dbdb/logical'
import { isDbdbError } from '@dbdb/storage'
import { describe, it } from 'vitest'
import { checkFill } from './fill.fixture.js'
import { asHex, enc, Harness, hex, unhex } from './harness.fixture.js'
import { type BPlusTreeOptions, bplusTree, createBPlusTree } from './index.js'

const key = (i: number) => enc(`k${String(i).padStart(5, '0')}`)
/** 0, 1, ..., n - 1 in a scattered order (n a multiple of neither 7919 nor its factors). */
const scattered = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919) % n)

function openWith(h: Harness, factory: TreeFactory, root: number): LogicalTree {
  return factory.open({ storage: h.storage, codec: h.codec, cache: new NodeCache(0) }, root)
}

/** The DBDB_CORRUPT error `fn` throws. */
function corruptError(fn: () => void): Error & { address?: number } {
  try {
    fn()
  } catch (err) {
    ok(isDbdbError(err, 'DBDB_CORRUPT'), String(err))
    return err as Error & { address?: number }
  }
  throw new Error('expected DBDB_CORRUPT')
}

/** Appends the records `build` makes (raw, msgpack-encoded) and commits the root it returns. */
function writeRaw(h: Harness, build: (append: (raw: unknown[]) => number) => number): number {
  h.storage.lock()
  try {
    const root = build((raw) => h.storage.append(msgpackCodec.encode(raw)))
    h.storage.commit(root)
    return root
  } finally {
    h.storage.unlock()
  }
}

/** A leaf record of `keys` (each 3 bytes), each key its own value. */
function leafRaw(keys: string[]): unknown[] {
  const bytes = enc(keys.join(''))
  return [2, bytes, 3, bytes, 3, []]
}

/** Leaves of the given sizes (keys a00, a01, ...) under one branch root; returns the root and the leaves. */
function rawTree(h: Harness, sizes: number[]): { root: number; leaves: number[] } {
  let n = 0
  const leaves: number[] = []
  const root = writeRaw(h, (append) => {
    const separators: string[] = []
    for (const size of sizes) {
      const keys = Array.from({ length: size }, () => `a${String(n++).padStart(2, '0')}`)
      if (leaves.length > 0) separators.push(keys[0]!)
      leaves.push(append(leafRaw(keys)))
    }
    return append([3, enc(separators.join('')), 3, leaves, sizes])
  })
  return { root, leaves }
}

function writeScattered(h: Harness, n: number): number {
  const t = h.open()
  for (const i of scattered(n)) t.set(key(i), key(i))
  return h.commit(t)
}

describe('bplus check() of trees written with other orders', () => {
  it('finds a tree written with order 16 and branchOrder 8 sound, opened with the defaults or any orders', () => {
    const h = new Harness(createBPlusTree({ order: 16, branchOrder: 8 }))
    const root = writeScattered(h, 3000)
    // Leaves of 8 to 16 keys, branches of 4 to 8 children: below the defaults' half.
    for (const factory of [bplusTree, createBPlusTree({ order: 4 }), createBPlusTree({ order: 200, branchOrder: 3 })]) {
      const other = openWith(h, factory, root)
      other.check()
      equal(other.size, 3000)
    }
    // The editor's rule holds for the orders that wrote it, not for the defaults.
    const tree = openWith(h, bplusTree, root)
    checkFill(tree, { order: 16, branchOrder: 8 })
    ok(corruptError(() => checkFill(tree, {})).message.includes('fewer than'))
  })

  it('finds nodes larger than the opened orders sound: a larger writer wrote them', () => {
    const h = new Harness(createBPlusTree({ order: 200 }))
    const root = writeScattered(h, 3000)
    const small = openWith(h, createBPlusTree({ order: 4, branchOrder: 3 }), root)
    small.check()
    equal(small.size, 3000)
    checkFill(small, { order: 200 })
    ok(corruptError(() => checkFill(small, { order: 4, branchOrder: 3 })).message.includes('more than'))
  })

  it('finds leaves of two keys sound under the defaults, and under-full by the defaults’ own rule', () => {
    const h = new Harness(bplusTree)
    // Leaves of 2 and 3 keys, as orders 3 and 4 keep them; the last leaf, on the right edge, of one.
    const { root, leaves } = rawTree(h, [3, 2, 3, 2, 2, 1])
    for (const factory of [bplusTree, createBPlusTree({ order: 3 })]) openWith(h, factory, root).check()
    equal(corruptError(() => checkFill(openWith(h, bplusTree, root), {})).address, leaves[0])
    checkFill(openWith(h, bplusTree, root), { order: 4 })
  })

  for (const writers of [
    [{ order: 16, branchOrder: 8 }, {}],
    [{}, { order: 4, branchOrder: 3 }],
    [
      { order: 5, branchOrder: 3 },
      { order: 40, branchOrder: 90 },
    ],
    [{ order: 16, branchOrder: 8 }, {}, { order: 4, branchOrder: 3 }],
  ] as Array<[BPlusTreeOptions, ...BPlusTreeOptions[]]>) {
    it(`stays sound and holds its model, written with ${writers.map((w) => JSON.stringify(w)).join(', then ')}`, () => {
      const factories = writers.map((w) => createBPlusTree(w))
      const h = new Harness(factories[0]!)
      const model = new Map<string, string>()
      let t = h.open()
      for (const i of scattered(3000)) {
        t.set(key(i), key(i))
        model.set(hex(key(i)), hex(key(i)))
      }
      let root = h.commit(t)
      checkFill(h.open(root), writers[0])
      // Inserts that split the other orders' nodes, deletes that merge them, in several commits each.
      let round = 0
      for (let w = 1; w < writers.length; w++) {
        for (let commits = 0; commits < 4; commits++, round++) {
          t = openWith(h, factories[w]!, root)
          for (const i of scattered(3000)) {
            if ((i + round) % 3 === 0) equal(t.delete(key(i)), model.delete(hex(key(i))))
            else if ((i + round) % 5 === 0) {
              const k = enc(`k${String(i).padStart(5, '0')}.${round}`)
              t.set(k, k)
              model.set(hex(k), hex(k))
            }
          }
          t.check()
          root = h.commit(t)
          for (const factory of [...factories, bplusTree]) {
            const reader = openWith(h, factory, root)
            reader.check()
            equal(reader.size, model.size)
            deepStrictEqual(asHex(reader.entries()), [...model].sort())
          }
          // Within the range of the orders so far, though perhaps not within any one's rule.
          checkFill(openWith(h, bplusTree, root), writers[0], ...writers.slice(1, w + 1))
          // The history does mix: after its first commit, nodes outside the newest writer's own rule remain.
          if (commits === 0) corruptError(() => checkFill(openWith(h, bplusTree, root), writers[w]!))
        }
      }
      // And back with the first orders, down to empty.
      t = openWith(h, factories[0]!, root)
      for (const k of [...model.keys()]) t.delete(unhex(k))
      t.check()
      equal(h.commit(t), 0)
    })
  }

  it('finds a tree built (as compaction builds) with other orders sound, and within the builder’s rule', () => {
    const h = new Harness(createBPlusTree({ order: 16, branchOrder: 8 }))
    const entries = Array.from({ length: 5000 }, (_, i): Entry => [key(i), key(i)])
    h.storage.lock()
    const root = h.factory.build!({ storage: h.storage, codec: h.codec, cache: new NodeCache(0) }, entries, entries.length)
    h.storage.commit(root)
    h.storage.unlock()
    const tree = openWith(h, bplusTree, root)
    tree.check()
    equal(tree.size, 5000)
    checkFill(tree, { order: 16, branchOrder: 8 })
  })
})

describe('bplus check() still finds damage, whatever orders open the tree', () => {
  const readers = [bplusTree, createBPlusTree({ order: 3 }), createBPlusTree({ order: 500, branchOrder: 1000 })]

  it('reports a leaf of one key off the right edge: every order keeps two there', () => {
    const h = new Harness(bplusTree)
    const { root, leaves } = rawTree(h, [3, 1, 3])
    for (const factory of readers) {
      const err = corruptError(() => openWith(h, factory, root).check())
      equal(err.address, leaves[1])
      ok(err.message.includes('fewer than 2'), err.message)
    }
  })

  it('reports a branch of one child, off the right edge or on it (as reading refuses it)', () => {
    const h = new Harness(bplusTree)
    let lone = 0
    const root = writeRaw(h, (append) => {
      const a = append(leafRaw(['a00', 'a01']))
      const b = append(leafRaw(['b00', 'b01']))
      const c = append(leafRaw(['c00', 'c01']))
      lone = append([3, new Uint8Array(0), [], [a], [2]])
      const pair = append([3, enc('c00'), 3, [b, c], [2, 2]])
      return append([3, enc('b00'), 3, [lone, pair], [2, 4]])
    })
    const onEdge = writeRaw(h, (append) => append([3, new Uint8Array(0), [], [root], [6]]))
    for (const factory of readers) {
      equal(corruptError(() => openWith(h, factory, root).check()).address, lone)
      equal(corruptError(() => openWith(h, factory, onEdge).check()).address, onEdge)
    }
  })

  it('reports keys out of order across nodes, and wrong subtree counts', () => {
    const h = new Harness(bplusTree)
    const { root, leaves } = rawTree(h, [3, 3, 3])
    const [low, mid, high] = leaves as [number, number, number]
    const swapped = writeRaw(h, (append) => append([3, enc('a03a06'), 3, [low, high, mid], [3, 3, 3]]))
    const miscounted = writeRaw(h, (append) => append([3, enc('a03a06'), 3, [low, mid, high], [3, 4, 3]]))
    for (const factory of readers) {
      openWith(h, factory, root).check()
      ok(/separator/.test(corruptError(() => openWith(h, factory, swapped).check()).message))
      const err = corruptError(() => openWith(h, factory, miscounted).check())
      equal(err.address, miscounted)
      ok(err.message.includes('counted 4'), err.message)
    }
  })
})
