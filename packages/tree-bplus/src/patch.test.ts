// Leaf and branch patches (see node-format.ts): a small commit writes the nodes it
// changes as the changes since the whole node written before, and a cold reader
// applies them to it.
import { deepStrictEqual, equal, ok } from 'node:assert/strict'
import { msgpackCodec } from '@dbdb/codec'
import { type LogicalTree, NodeCache } from '@dbdb/logical'
import { prng, randomInt, testSeed } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { asHex, enc, Harness, hex, sortedModel, unhex } from './harness.fixture.js'
import { DEFAULT_ORDER } from './index.js'
import { PATCH_SHARE } from './patch-policy.js'

const key = (i: number) => enc(`key${String(i).padStart(6, '0')}`)

/** The node records `tree`'s commit appends, decoded, leaves first (values kept apart are left out). */
function commitRecords(h: Harness, tree: LogicalTree): Array<{ raw: unknown[]; bytes: number }> {
  const records: Array<{ raw: unknown[]; bytes: number }> = []
  const storage = h.storage
  const append = storage.append.bind(storage)
  storage.append = (bytes: Uint8Array) => {
    const raw = bytes[0]! >= 0x90 && bytes[0]! <= 0x9f ? msgpackCodec.decode(bytes) : undefined
    if (Array.isArray(raw)) records.push({ raw, bytes: bytes.length })
    return append(bytes)
  }
  try {
    h.commit(tree)
  } finally {
    delete (storage as { append?: unknown }).append
  }
  return records
}

/** A tree of `n` keys, committed, and its model. */
function loaded(n: number, options = {}) {
  const h = new Harness(strictBPlusTree(options))
  const model = new Map<string, Uint8Array>()
  const tree = h.open()
  for (let i = 0; i < n; i++) {
    tree.set(key(2 * i), enc(`value${i}`))
    model.set(hex(key(2 * i)), enc(`value${i}`))
  }
  h.commit(tree)
  return { h, model }
}

/** A cold reader of the newest commit sees exactly the model and passes check(). */
function same(h: Harness, model: Map<string, Uint8Array>, where: string): void {
  const cold = h.open(h.storage.head().root, new NodeCache(0))
  deepStrictEqual(asHex(cold.entries()), asHex(sortedModel(model)), where)
  cold.check()
}

describe('bplus leaf patches', () => {
  it('a one-key commit writes its leaf as a patch a small fraction of the leaf, which cold readers apply', () => {
    // Loaded in key order, so every leaf is full: the delete makes room for the add.
    const { h, model } = loaded(6_000)
    for (let c = 0; c < 10; c++) {
      const i = 600 * c + 7
      const steps = [
        { op: 'overwrite', keys: 1, gone: 0, run: (t: LogicalTree) => t.set(key(2 * i), enc(`over${c}`)) },
        { op: 'delete', keys: 1, gone: 1, run: (t: LogicalTree) => t.delete(key(2 * i)) },
        { op: 'add', keys: 2, gone: 1, run: (t: LogicalTree) => t.set(key(2 * i + 1), enc(`added${c}`)) },
      ]
      for (const step of steps) {
        const tree = h.open(h.storage.head().root)
        step.run(tree)
        for (const k of [key(2 * i), key(2 * i + 1)]) {
          const v = tree.get(k)
          if (v === undefined) model.delete(hex(k))
          else model.set(hex(k), v.slice())
        }
        const [leaf, ...rest] = commitRecords(h, tree)
        equal(leaf!.raw[0], 4, `${step.op}: the leaf is written as a patch`)
        equal((leaf!.raw[2] as Uint8Array).length, step.keys * 9, `${step.op}: keys in the patch`)
        equal((leaf!.raw[7] as number[]).length, step.gone, `${step.op}: deleted keys`)
        // A whole leaf of these keys is ~1,200 bytes.
        ok(leaf!.bytes < 60, `${step.op}: a patch of ${leaf!.bytes} bytes`)
        ok(rest.length > 0 && rest.every((r) => r.raw[0] === 5), 'then only branch patches')
        same(h, model, `leaf ${c}, ${step.op}`)
      }
    }
  })

  it('a leaf changed again and again is written whole before its patch holds more than its share of keys', () => {
    const { h, model } = loaded(2_000)
    const kinds: string[] = []
    for (let c = 0; c < 3 * DEFAULT_ORDER; c++) {
      const tree = h.open(h.storage.head().root)
      // Keys between two neighbours, all in the same leaf until it splits.
      const k = enc(`key002000.${String(c).padStart(3, '0')}`)
      tree.set(k, enc(`v${c}`))
      model.set(hex(k), enc(`v${c}`))
      const leaf = commitRecords(h, tree)[0]!.raw
      if (leaf[0] === 4) {
        const patchKeys = typeof leaf[3] === 'number' ? (leaf[2] as Uint8Array).length / (leaf[3] as number) : (leaf[3] as number[]).length
        ok(patchKeys * PATCH_SHARE <= DEFAULT_ORDER, `a patch of ${patchKeys} keys`)
        kinds.push(`p${patchKeys}`)
      } else kinds.push(leaf[0] === 2 ? 'whole' : `kind ${String(leaf[0])}`)
      if (c % 8 === 0) same(h, model, `commit ${c}`)
    }
    same(h, model, 'at the end')
    const line = kinds.join(' ')
    ok(line.includes('whole p1 p2 p3'), line)
    ok(kinds.filter((k) => k === 'whole').length >= 3, line)
    ok(!/kind/.test(line), line)
  })

  it('deletes keys added since the base, and keeps large values in records of their own', () => {
    const { h, model } = loaded(1_000, { inlineValueMax: 16 })
    const big = enc('a value too large for its leaf, so it has a record of its own')
    // Loaded in key order, so every leaf is full: the delete makes room for the adds.
    const steps: Array<(t: LogicalTree) => void> = [
      (t) => t.delete(key(100)),
      (t) => t.set(key(101), enc('added')),
      (t) => t.delete(key(101)), // gone, and the base never had it
      (t) => t.set(key(102), big),
      (t) => t.set(key(104), big),
      (t) => t.delete(key(102)),
      (t) => t.set(key(104), enc('small again')),
    ]
    for (const [n, step] of steps.entries()) {
      const tree = h.open(h.storage.head().root)
      step(tree)
      for (const k of [100, 101, 102, 104]) {
        const v = tree.get(key(k))
        if (v === undefined) model.delete(hex(key(k)))
        else model.set(hex(key(k)), v.slice())
      }
      const records = commitRecords(h, tree)
      ok(
        records.some((r) => r.raw[0] === 4),
        `step ${n} wrote a patch`,
      )
      same(h, model, `step ${n}`)
    }
    equal(new TextDecoder().decode(h.open(h.storage.head().root, new NodeCache(0)).get(key(104))), 'small again')
  })

  it('random small commits read back through cold caches match a Map model', () => {
    const label = 'bplus patches / random small commits'
    const seed = testSeed(label)
    const rand = prng(seed)
    const { h, model } = loaded(3_000, { order: 32, inlineValueMax: 8 })
    let cache = new NodeCache(1 << 20)
    let patches = 0
    let branchPatches = 0
    for (let c = 0; c < 400; c++) {
      const where = `seed ${seed}, commit ${c}`
      const tree = h.open(h.storage.head().root, cache)
      for (let n = 1 + randomInt(rand, 3); n > 0; n--) {
        const k = key(randomInt(rand, 6_000))
        if (rand() < 0.3) {
          equal(tree.delete(k), model.delete(hex(k)), where)
        } else {
          const v = enc('x'.repeat(randomInt(rand, 12)) + c)
          tree.set(k, v)
          model.set(hex(k), v)
        }
      }
      const records = commitRecords(h, tree)
      patches += records.filter((r) => r.raw[0] === 4).length
      branchPatches += records.filter((r) => r.raw[0] === 5).length
      if (rand() < 0.3) cache = new NodeCache([0, 4096, 1 << 20][randomInt(rand, 3)]!)
      if (c % 20 === 19) same(h, model, where)
    }
    same(h, model, `seed ${seed}, at the end`)
    ok(patches > 200, `${patches} leaf patches written`)
    ok(branchPatches > 200, `${branchPatches} branch patches written`)
    // And the model's keys, read one by one through a cold cache.
    const cold = h.open(h.storage.head().root, new NodeCache(0))
    for (const [k, v] of model) equal(hex(cold.get(unhex(k))!), hex(v))
  })
})

describe('bplus branch patches', () => {
  it('a one-key commit writes each branch on its path as a patch, which cold readers apply', () => {
    // order 8: 20,000 keys make a tree of four levels, so the path has three branches
    // (the root has 10 children, those below it 16: a patch may change one in 8).
    const { h, model } = loaded(20_000, { order: 8 })
    const kinds: number[] = []
    for (let c = 0; c < 20; c++) {
      const i = 997 * c + 13
      const tree = h.open(h.storage.head().root)
      tree.set(key(2 * i), enc(`over${c}`))
      model.set(hex(key(2 * i)), enc(`over${c}`))
      const [leaf, ...branches] = commitRecords(h, tree)
      equal(leaf!.raw[0], 4, 'the leaf is written as a patch')
      equal(branches.length, 3, 'three branches')
      for (const b of branches) {
        kinds.push(b.raw[0] as number)
        if (b.raw[0] !== 5) continue
        // The children changed since its base: their indexes, new addresses and counts.
        ok((b.raw[2] as number[]).length <= 2, JSON.stringify(b.raw))
        ok(b.bytes < 30, `a branch patch of ${b.bytes} bytes`)
      }
      // The first commit after the load changes one child of each whole branch it wrote.
      if (c === 0)
        deepStrictEqual(
          branches.map((b) => [b.raw[0], (b.raw[2] as number[]).length]),
          [
            [5, 1],
            [5, 1],
            [5, 1],
          ],
        )
      same(h, model, `commit ${c}`)
    }
    // The rest are written whole: a branch whose patch would hold more than its share.
    ok(
      kinds.every((k) => k === 5 || k === 3),
      kinds.join(' '),
    )
    ok(kinds.filter((k) => k === 5).length >= 40, kinds.join(' '))
  })

  it('a branch changed again and again is written whole before its patch holds more than its share of children', () => {
    // Loaded in key order: 992 leaves of 8 keys under ~32 branches, all children of
    // the root, whose patch may then hold 4 of them.
    const { h, model } = loaded(7_936, { order: 8, branchOrder: 32 })
    const kinds: string[] = []
    let rootChildren = 0
    const label = 'bplus branch patches / share'
    const seed = testSeed(label)
    const rand = prng(seed)
    for (let c = 0; c < 200; c++) {
      const tree = h.open(h.storage.head().root)
      const k = key(2 * randomInt(rand, 7_936))
      tree.set(k, enc(`v${c}`))
      model.set(hex(k), enc(`v${c}`))
      const records = commitRecords(h, tree)
      const root = records[records.length - 1]!.raw
      if (root[0] === 5) {
        const changed = (root[2] as number[]).length
        // (Checked once a whole root has shown how many children it has.)
        if (rootChildren > 0) ok(changed * PATCH_SHARE <= rootChildren, `a patch of ${changed} of ${rootChildren} children`)
        kinds.push(`p${changed}`)
      } else {
        kinds.push(root[0] === 3 ? 'whole' : `kind ${String(root[0])}`)
        if (root[0] === 3) rootChildren = (root[3] as number[]).length
      }
      if (c % 10 === 0) same(h, model, `seed ${seed}, commit ${c}`)
    }
    same(h, model, `seed ${seed}, at the end`)
    const line = kinds.join(' ')
    ok(!/kind/.test(line), line)
    ok(line.includes('whole p1 p2 p3 p4 whole'), line)
    ok(kinds.filter((k) => k === 'whole').length >= 20, line)
  })

  it('a split or merge below writes the branch whole', () => {
    const { h, model } = loaded(2_000, { order: 8 })
    const kinds: number[][] = []
    // Keys between two neighbours land in one leaf, which splits every few commits.
    for (let c = 0; c < 40; c++) {
      const tree = h.open(h.storage.head().root)
      const k = enc(`key001000.${String(c).padStart(3, '0')}`)
      tree.set(k, enc(`v${c}`))
      model.set(hex(k), enc(`v${c}`))
      kinds.push(commitRecords(h, tree).map((r) => r.raw[0] as number))
      same(h, model, `commit ${c}`)
    }
    // A commit that splits the leaf writes two leaves, and its parent whole.
    const splits = kinds.filter((k) => k.filter((kind) => kind === 2 || kind === 4).length === 2)
    ok(splits.length >= 4, JSON.stringify(kinds))
    for (const k of splits) equal(k[2], 3, `the parent of a split is whole: ${JSON.stringify(k)}`)
    // Deleting them again merges leaves: the parent is written whole then too.
    for (let c = 0; c < 40; c++) {
      const tree = h.open(h.storage.head().root)
      const k = enc(`key001000.${String(c).padStart(3, '0')}`)
      tree.delete(k)
      model.delete(hex(k))
      commitRecords(h, tree)
      same(h, model, `delete ${c}`)
    }
  })
})
