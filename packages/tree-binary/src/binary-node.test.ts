// The node's stored form: what toRaw writes (the original's test_to_string_leaf/nonleaf),
// what the commit walk links together, and what fromRaw refuses.

import { jsonCodec, msgpackCodec } from '@dbdb/codec'
import type { NodeStore } from '@dbdb/logical'
import { describe, expect, it } from 'vitest'
import { BinaryNode, binaryNodeType } from './binary-node.js'
import { dec, enc, Harness } from './test-harness.fixture.js'

// fromRaw needs no store: it checks the record alone.
const noStore = undefined as unknown as NodeStore<BinaryNode>

describe('BinaryNode to raw', () => {
  it('encodes a leaf with 0 for both children and its value address', () => {
    const leaf = new BinaryNode(undefined, enc('k'), 8200, undefined, 1, 1)
    const raw = binaryNodeType.toRaw(leaf)
    expect(raw).toEqual([0, enc('k'), 8200, 0, 1, 1])
    const [left, key, value, right] = msgpackCodec.decode(msgpackCodec.encode(raw)) as unknown[]
    expect(left).toBe(0)
    expect(dec(key as Uint8Array)).toBe('k')
    expect(value).toBe(8200)
    expect(right).toBe(0)
  })

  it('encodes an inner node with its children addresses', () => {
    const inner = new BinaryNode(123, enc('k'), 200, 321, 3, 2)
    const [left, key, value, right, size, height] = jsonCodec.decode(jsonCodec.encode(binaryNodeType.toRaw(inner))) as unknown[]
    expect([left, value, right, size, height]).toEqual([123, 200, 321, 3, 2])
    expect(dec(key as Uint8Array)).toBe('k')
  })

  it('refuses to encode a node whose children are still dirty', () => {
    const child = new BinaryNode(undefined, enc('a'), 1, undefined, 1, 1)
    expect(() => binaryNodeType.toRaw(new BinaryNode(child, enc('b'), 2, undefined, 2, 2))).toThrow(/dirty/)
    expect(() => binaryNodeType.toRaw(new BinaryNode(undefined, enc('b'), enc('v'), undefined, 1, 1))).toThrow(/dirty/)
  })

  it('a commit writes children and values before their parent, linked by address', () => {
    const h = new Harness()
    const tree = h.open()
    tree.set(enc('b'), enc('2'))
    tree.set(enc('a'), enc('1'))
    tree.set(enc('c'), enc('3'))
    const root = h.commit(tree)
    const read = (address: number): unknown[] => msgpackCodec.decode(h.storage.read(address)) as unknown[]
    const [left, key, value, right, size, height] = read(root)
    expect(dec(key as Uint8Array)).toBe('b')
    expect([size, height]).toEqual([3, 2])
    expect(dec(h.storage.read(value as number))).toBe('2')
    for (const [address, name] of [
      [left, 'a'],
      [right, 'c'],
    ] as const) {
      expect(address as number).toBeLessThan(root)
      const child = read(address as number)
      expect(dec(child[1] as Uint8Array)).toBe(name)
      expect([child[0], child[3], child[4], child[5]]).toEqual([0, 0, 1, 1])
    }
  })
})

describe('BinaryNode from raw', () => {
  const at = 10_000
  const good = (): unknown[] => [100, enc('k'), 200, 300, 3, 2]

  it('rebuilds a valid record, keys as plain Uint8Array', () => {
    const node = binaryNodeType.fromRaw([0, Buffer.from('k'), 200, 0, 1, 1], at, noStore)
    expect(node.key.constructor).toBe(Uint8Array)
    expect([node.left, dec(node.key), node.value, node.right, node.size, node.height]).toEqual([undefined, 'k', 200, undefined, 1, 1])
    expect(binaryNodeType.fromRaw(good(), at, noStore).left).toBe(100)
  })

  const malformed: Array<[string, unknown]> = [
    ['not an array', { left: 0 }],
    ['too short', [0, enc('k'), 200, 0, 1]],
    ['too long', [...good(), 0]],
    ['a string key', [0, 'k', 200, 0, 1, 1]],
    ['a missing value', [0, enc('k'), 0, 0, 1, 1]],
    ['a value stored after the node', [0, enc('k'), at + 1, 0, 1, 1]],
    ['a child pointing at itself', [at, enc('k'), 200, 300, 3, 2]],
    ['a child after its parent', [100, enc('k'), 200, at + 5, 3, 2]],
    ['a negative child', [-4, enc('k'), 200, 300, 3, 2]],
    ['a fractional child', [100.5, enc('k'), 200, 300, 3, 2]],
    ['a string child', ['100', enc('k'), 200, 300, 3, 2]],
    ['size 0', [0, enc('k'), 200, 0, 0, 1]],
    ['a fractional size', [100, enc('k'), 200, 300, 2.5, 2]],
    ['a leaf of size 2', [0, enc('k'), 200, 0, 2, 1]],
    ['a leaf of height 2', [0, enc('k'), 200, 0, 1, 2]],
    ['one child and size 3', [100, enc('k'), 200, 0, 3, 2]],
    ['one child and height 3', [0, enc('k'), 200, 300, 2, 3]],
    ['more keys than the height allows', [100, enc('k'), 200, 300, 4, 2]],
    ['fewer keys than an AVL tree of that height has', [100, enc('k'), 200, 300, 4, 4]],
    ['an impossible height', [100, enc('k'), 200, 300, 3, 1e6]],
  ]
  for (const [what, raw] of malformed) {
    it(`refuses ${what}`, () => {
      expect(() => binaryNodeType.fromRaw(raw, at, noStore)).toThrow()
    })
  }
})
