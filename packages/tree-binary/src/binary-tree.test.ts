// BinaryTree: the original DBDB's binary tree tests, ported, then what the AVL
// balancing, commits, savepoints and the checks on stored nodes add to them.

import { msgpackCodec } from '@dbdb/codec'
import { DbdbError } from '@dbdb/logical'
import { prng, randomInt } from '@dbdb/logical/testing'
import { beforeEach, describe, expect, it } from 'vitest'
import type { BinaryTree } from './binary-tree.js'
import { dec, enc, Harness } from './test-harness.fixture.js'

describe('BinaryTree (the original DBDB tests)', () => {
  let tree: BinaryTree
  beforeEach(() => {
    tree = new Harness().open()
  })

  it('gets undefined for a missing key', () => {
    expect(tree.get(enc('Not A Key In The Tree'))).toBeUndefined()
  })

  it('sets and gets a key', () => {
    tree.set(enc('a'), enc('b'))
    expect(dec(tree.get(enc('a')))).toBe('b')
  })

  it('sets and gets random keys, with the size after each set and delete', () => {
    // As the original: 10 distinct keys and 10 values drawn from 0..9999 (seeded here).
    const rand = prng(500)
    const draw = (): string[] => {
      const picked = new Set<string>()
      while (picked.size < 10) picked.add(String(randomInt(rand, 10_000)))
      return [...picked]
    }
    const keys = draw()
    const values = draw()
    keys.forEach((k, i) => {
      tree.set(enc(k), enc(values[i]!))
      expect(tree.size).toBe(i + 1)
    })
    for (const [i, k] of keys.entries()) expect(dec(tree.get(enc(k)))).toBe(values[i])
    keys.forEach((k, i) => {
      expect(tree.delete(enc(k))).toBe(true)
      expect(tree.size).toBe(keys.length - i - 1)
      expect(tree.get(enc(k))).toBeUndefined()
    })
    tree.check()
  })

  it('overwrites a key', () => {
    tree.set(enc('a'), enc('b'))
    tree.set(enc('a'), enc('c'))
    expect(dec(tree.get(enc('a')))).toBe('c')
    expect(tree.size).toBe(1)
  })

  it('deleting a missing key returns false', () => {
    expect(tree.delete(enc('Not A Key In The Tree'))).toBe(false)
    tree.set(enc('a'), enc('1'))
    expect(tree.delete(enc('b'))).toBe(false)
    expect(tree.size).toBe(1)
  })

  it('deletes a leaf', () => {
    tree.set(enc('b'), enc('2'))
    expect(tree.delete(enc('b'))).toBe(true)
    expect(tree.get(enc('b'))).toBeUndefined()
    expect(tree.size).toBe(0)
  })

  it('deletes a node with only a left child', () => {
    tree.set(enc('b'), enc('2'))
    tree.set(enc('a'), enc('1'))
    expect(tree.delete(enc('b'))).toBe(true)
    expect(tree.get(enc('b'))).toBeUndefined()
    expect(dec(tree.get(enc('a')))).toBe('1')
    tree.check()
  })

  it('deletes a node with only a right child', () => {
    tree.set(enc('b'), enc('2'))
    tree.set(enc('c'), enc('3'))
    expect(tree.delete(enc('b'))).toBe(true)
    expect(tree.get(enc('b'))).toBeUndefined()
    expect(dec(tree.get(enc('c')))).toBe('3')
    tree.check()
  })

  it('deletes a node with both children', () => {
    tree.set(enc('b'), enc('2'))
    tree.set(enc('a'), enc('1'))
    tree.set(enc('c'), enc('3'))
    expect(tree.delete(enc('b'))).toBe(true)
    expect(tree.get(enc('b'))).toBeUndefined()
    expect(dec(tree.get(enc('a')))).toBe('1')
    expect(dec(tree.get(enc('c')))).toBe('3')
    tree.check()
  })
})

describe('BinaryTree balancing', () => {
  const keys = (tree: BinaryTree): string[] => [...tree.entries()].map(([k]) => dec(k)!)

  // Each order triggers one of the four AVL cases at the root.
  for (const [name, order] of [
    ['left-left', 'cba'],
    ['right-right', 'abc'],
    ['left-right', 'cab'],
    ['right-left', 'acb'],
  ] as const) {
    it(`rotates the ${name} case into a tree of height 2`, () => {
      const tree = new Harness().open()
      for (const k of order) tree.set(enc(k), enc(k))
      expect(tree.height).toBe(2)
      expect(keys(tree)).toEqual(['a', 'b', 'c'])
      tree.check()
    })
  }

  it('stays balanced while deleting from one side', () => {
    const h = new Harness()
    let tree = h.open()
    for (let i = 0; i < 1024; i++) tree.set(enc(String(i).padStart(4, '0')), enc('v'))
    tree = h.reopen(tree)
    for (let i = 0; i < 1000; i++) {
      expect(tree.delete(enc(String(i).padStart(4, '0')))).toBe(true)
      if (i % 100 === 0) tree.check()
    }
    tree.check()
    expect(tree.size).toBe(24)
    expect(tree.height).toBeLessThanOrEqual(6)
  })
})

describe('BinaryTree state', () => {
  it('is dirty only while the root differs from the last commit', () => {
    const h = new Harness()
    const tree = h.open()
    expect(tree.dirty).toBe(false)
    tree.set(enc('a'), enc('1'))
    expect(tree.dirty).toBe(true)
    const root = h.commit(tree)
    expect(tree.dirty).toBe(false)
    const mark = tree.savepoint()
    tree.delete(enc('a'))
    expect(tree.dirty).toBe(true)
    tree.rollbackTo(mark)
    expect(tree.dirty).toBe(false)
    h.storage.lock()
    expect(tree.commit()).toBe(root)
    h.storage.unlock()
  })

  it('deleting the last key commits an empty tree (root 0)', () => {
    const h = new Harness()
    const tree = h.reopen(
      (() => {
        const t = h.open()
        t.set(enc('a'), enc('1'))
        return t
      })(),
    )
    tree.delete(enc('a'))
    expect(tree.dirty).toBe(true)
    expect(h.commit(tree)).toBe(0)
    expect(tree.size).toBe(0)
    expect(tree.height).toBe(0)
  })

  it('refuses a savepoint that is not its own, and a bad root', () => {
    const h = new Harness()
    expect(() => h.open().rollbackTo({ root: 1 })).toThrow(TypeError)
    expect(() => h.open(-1)).toThrow(RangeError)
    expect(() => h.open(1.5)).toThrow(RangeError)
  })

  it('refuses keys and values that are not bytes', () => {
    const tree = new Harness().open()
    expect(() => tree.set('a' as unknown as Uint8Array, enc('1'))).toThrow(TypeError)
    expect(() => tree.set(enc('a'), 'b' as unknown as Uint8Array)).toThrow(TypeError)
  })

  it('counts ranges from subtree sizes, honouring the limit', () => {
    const tree = new Harness().open()
    for (let i = 0; i < 100; i++) tree.set(enc(String(i).padStart(2, '0')), enc('v'))
    expect(tree.count()).toBe(100)
    expect(tree.count({ gte: enc('10'), lt: enc('20') })).toBe(10)
    expect(tree.count({ gt: enc('10'), lte: enc('20') })).toBe(10)
    expect(tree.count({ gt: enc('5'), lt: enc('4') })).toBe(0)
    expect(tree.count({ gte: enc('10'), limit: 3 })).toBe(3)
  })
})

describe('BinaryTree on a damaged file', () => {
  /** Appends raw node records by hand, as a crafted file would hold them. */
  function craft(build: (append: (raw: unknown) => number, value: number) => number): { h: Harness; root: number } {
    const h = new Harness()
    h.storage.lock()
    const value = h.storage.append(enc('v'))
    const root = build((raw) => h.storage.append(msgpackCodec.encode(raw)), value)
    h.storage.commit(root)
    h.storage.unlock()
    return { h, root }
  }
  const expectCorrupt = (fn: () => unknown): void => {
    let error: unknown
    try {
      fn()
    } catch (err) {
      error = err
    }
    expect(error instanceof DbdbError && error.code === 'DBDB_CORRUPT', `expected DBDB_CORRUPT, got ${String(error)}`).toBe(true)
  }

  it('check() finds keys out of order', () => {
    const { h, root } = craft((append, v) => {
      const a = append([0, enc('c'), v, 0, 1, 1])
      const c = append([0, enc('d'), v, 0, 1, 1])
      return append([a, enc('b'), v, c, 3, 2])
    })
    expectCorrupt(() => h.open(root).check())
  })

  it('check() finds a stored size that is wrong', () => {
    const { h, root } = craft((append, v) => {
      const a = append([0, enc('a'), v, 0, 1, 1])
      const b = append([a, enc('b'), v, 0, 2, 2])
      const d = append([0, enc('d'), v, 0, 1, 1])
      // Height 3 allows 4 to 7 keys: 5 passes fromRaw, but this tree holds 4.
      return append([b, enc('c'), v, d, 5, 3])
    })
    expectCorrupt(() => h.open(root).check())
    expect(h.open(root).size).toBe(5)
  })

  it('refuses a child that claims to be as tall as its parent, so recursion stays bounded', () => {
    const { h, root } = craft((append, v) => {
      const a = append([0, enc('a'), v, 0, 1, 1])
      const b = append([a, enc('b'), v, 0, 2, 2])
      const c = append([b, enc('c'), v, 0, 2, 2])
      return c
    })
    // fromRaw accepts each record alone; the descent refuses the pair.
    expectCorrupt(() => h.open(root).get(enc('a')))
    expectCorrupt(() => h.open(root).set(enc('a'), enc('x')))
  })

  it('refuses a value pointer that leads to a cached node', () => {
    const { h, root } = craft((append) => {
      const a = append([0, enc('a'), 8192, 0, 1, 1])
      return append([a, enc('b'), a, 0, 2, 2])
    })
    const tree = h.open(root)
    expectCorrupt(() => [...tree.entries()])
  })
})
