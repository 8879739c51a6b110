// The tree's own API edges: options, argument checks, savepoints, dirtiness, counts.
import { equal, throws } from 'node:assert/strict'
import { type LogicalTree, NodeCache } from '@dbdb/logical'
import { describe, it } from 'vitest'
import { enc, Harness } from './harness.fixture.js'
import { bplusTree, createBPlusTree } from './index.js'

describe('BPlusTree', () => {
  it('is one factory id for every node size, and refuses impossible options', () => {
    equal(bplusTree.id, 'bplus')
    equal(createBPlusTree({ order: 7, inlineValueMax: 0 }).id, 'bplus')
    for (const order of [2, 0, -1, 4.5, NaN, Infinity]) {
      throws(() => createBPlusTree({ order }), RangeError)
      throws(() => createBPlusTree({ branchOrder: order }), RangeError)
    }
    for (const inlineValueMax of [-1, 1.5, NaN, Infinity]) throws(() => createBPlusTree({ inlineValueMax }), RangeError)
  })

  it('reads and changes a file written at another node size', () => {
    const h = new Harness(createBPlusTree({ order: 4 }))
    const t = h.open()
    for (let i = 0; i < 300; i++) t.set(enc(`k${String(i).padStart(3, '0')}`), enc(`v${i}`))
    const root = h.commit(t)
    const wide = bplusTree.open({ storage: h.storage, codec: h.codec, cache: new NodeCache() }, root)
    equal(wide.size, 300)
    equal(wide.count({ gte: enc('k100'), lt: enc('k200') }), 100)
    for (let i = 0; i < 300; i += 2) wide.delete(enc(`k${String(i).padStart(3, '0')}`))
    equal(wide.size, 150)
    equal(new TextDecoder().decode(h.open(h.commit(wide)).get(enc('k151'))), 'v151')
  })

  it('refuses bad arguments with TypeError or RangeError', () => {
    const h = new Harness(bplusTree)
    const t = h.open()
    throws(() => t.set('a' as never, enc('b')), TypeError)
    throws(() => t.set(enc('a'), 'b' as never), TypeError)
    throws(() => t.rollbackTo({}), TypeError)
    throws(() => t.rollbackTo(h.open().savepoint()), TypeError)
    throws(() => h.open(-1), RangeError)
    throws(() => h.open(1.5), RangeError)
  })

  it('is dirty exactly while it differs from what it was opened or committed at', () => {
    const h = new Harness(bplusTree)
    const t: LogicalTree = h.open()
    equal(t.dirty, false)
    const clean = t.savepoint()
    t.set(enc('a'), enc('1'))
    equal(t.dirty, true)
    t.rollbackTo(clean)
    equal(t.dirty, false)
    t.set(enc('a'), enc('1'))
    const root = h.commit(t)
    equal(t.dirty, false)
    equal(t.delete(enc('zzz')), false)
    equal(t.dirty, false)
    equal(t.delete(enc('a')), true)
    equal(t.dirty, true)
    equal(h.commit(t), 0)
    equal(h.open(root).size, 1)
  })

  it('count() honours limit and empty or inverted ranges', () => {
    const t = new Harness(createBPlusTree({ order: 4 })).open()
    for (let i = 0; i < 100; i++) t.set(enc(String(i).padStart(2, '0')), enc(''))
    equal(t.count(), 100)
    equal(t.count({ limit: 7 }), 7)
    equal(t.count({ limit: 0 }), 0)
    equal(t.count({ limit: -1 }), 100)
    equal(t.count({ gte: enc('50'), lt: enc('50') }), 0)
    equal(t.count({ gt: enc('60'), lt: enc('40') }), 0)
    equal(t.count({ gte: enc('50'), lte: enc('50') }), 1)
    equal(t.count({ gt: enc('49'), lte: enc('59'), reverse: true }), 10)
  })
})
