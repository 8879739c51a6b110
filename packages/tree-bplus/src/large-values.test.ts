// Values across the inline threshold: inline up to inlineValueMax bytes, a record
// of their own above it, moved between the two by updates, surviving commit and
// reopen through MemoryStorage with a cold cache.
import { deepStrictEqual, equal } from 'node:assert/strict'
import { jsonCodec, msgpackCodec } from '@dbdb/codec'
import { prng, randomBytes } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { asHex, enc, Harness, hex } from './harness.fixture.js'
import { bplusTree, DEFAULT_INLINE_VALUE_MAX } from './index.js'

const rand = prng(42)
const bytes = (n: number): Uint8Array => randomBytes(rand, n)

describe('values across the inline threshold', () => {
  for (const codec of [msgpackCodec, jsonCodec]) {
    for (const max of [DEFAULT_INLINE_VALUE_MAX, 10]) {
      const factory = strictBPlusTree(max === DEFAULT_INLINE_VALUE_MAX ? {} : { inlineValueMax: max })
      const sizes = [0, max - 1, max, max + 1, 3 * 1024 * 1024]

      it(`stores up to ${max} bytes inline and more out of line (${codec.id})`, () => {
        for (const size of sizes) {
          const h = new Harness(factory, codec)
          const t = h.open()
          const value = bytes(size)
          t.set(enc('k'), value)
          const { appends } = h.measure(() => h.commit(t))
          // One leaf, plus the value's own record when it is too large to sit in it.
          equal(appends, size > max ? 2 : 1, `size ${size}`)
          const cold = h.open(h.storage.head().root)
          equal(hex(cold.get(enc('k'))!), hex(value), `size ${size}`)
          cold.check()
        }
      })

      it(`moves a value between inline and out of line by updates (${codec.id})`, () => {
        const h = new Harness(factory, codec)
        let t = h.open()
        for (let i = 0; i < 50; i++) t.set(enc(`other${i}`), bytes(i % 3 === 0 ? max + 5 : 3))
        let root = h.commit(t)
        for (const size of [max, max + 1, 0, 3 * 1024 * 1024, max - 1, max + 1, max]) {
          t = h.open(root)
          const value = bytes(size)
          t.set(enc('k'), value)
          equal(hex(t.get(enc('k'))!), hex(value), `before commit, size ${size}`)
          root = h.commit(t)
          const cold = h.open(root)
          equal(hex(cold.get(enc('k'))!), hex(value), `size ${size}`)
          deepStrictEqual(asHex(cold.entries({ gte: enc('k'), lte: enc('k') })), [[hex(enc('k')), hex(value)]])
          equal(cold.size, 51)
          cold.check()
        }
      })
    }
  }

  it('has(), count() and key-only needs never read an out-of-line value', () => {
    const h = new Harness(bplusTree)
    const t = h.open()
    t.set(enc('big'), bytes(100_000))
    const root = h.commit(t)
    const cold = h.open(root)
    // The root leaf is the only record these need (the cache holds nothing, but the
    // tree keeps its root node once loaded).
    equal(h.measure(() => equal(cold.has(enc('big')), true)).reads, 1)
    equal(h.measure(() => equal(cold.size, 1)).reads, 0)
    equal(h.measure(() => equal(cold.count({ gte: enc('a') }), 1)).reads, 0)
    equal(h.measure(() => equal(cold.get(enc('big'))!.length, 100_000)).reads, 1)
    equal(h.measure(() => equal(h.open(root).get(enc('big'))!.length, 100_000)).reads, 2)
  })

  it('rewrites an unchanged out-of-line value by address, not by copying it', () => {
    const h = new Harness(bplusTree)
    const t = h.open()
    t.set(enc('big'), bytes(100_000))
    t.set(enc('small'), enc('x'))
    const root = h.commit(t)
    const again = h.open(root)
    again.set(enc('small'), enc('y'))
    const { appends } = h.measure(() => h.commit(again))
    equal(appends, 1)
    equal(h.open(h.storage.head().root).get(enc('big'))!.length, 100_000)
  })

  it('keeps Buffer keys and values (what codecs decode) through the json codec', () => {
    const h = new Harness(strictBPlusTree({ order: 4, inlineValueMax: 4 }), jsonCodec)
    let t = h.open()
    for (let i = 0; i < 40; i++) t.set(Buffer.from(`key${i}`), Buffer.from(`value${i}`))
    for (let round = 0; round < 3; round++) {
      const root = h.commit(t)
      t = h.open(root)
      t.check()
      // Nodes read back hold Buffers; changing them writes those Buffers out again.
      t.set(Buffer.from(`key${round}`), Buffer.from(`changed${round}`))
      t.delete(Buffer.from(`key${39 - round}`))
    }
    const final = h.open(h.commit(t))
    final.check()
    equal(final.size, 37)
    equal(Buffer.from(final.get(enc('key1'))!).toString(), 'changed1')
    equal(Buffer.from(final.get(enc('key20'))!).toString(), 'value20')
  })
})
