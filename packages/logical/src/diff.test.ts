import { describe, expect, it } from 'vitest'
import { applyChanges, diffTrees } from './diff.js'
import type { Entry, LogicalTree } from './logical-tree.js'

/** A stand-in tree over a sorted array: diffTrees only needs entries(). */
function treeOf(rows: Array<[string, string]>): LogicalTree {
  const entries = rows.map(([a, b]): Entry => [Buffer.from(a), Buffer.from(b)])
  return { entries: () => entries[Symbol.iterator]() } as unknown as LogicalTree
}

describe('diffTrees', () => {
  it('yields sets for new or changed keys and deletes for removed ones, in key order', () => {
    const from = treeOf([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ])
    const to = treeOf([
      ['b', '2'],
      ['c', '30'],
      ['d', '4'],
    ])
    const changes = [...diffTrees(from, to)].map(([key, value]) => [Buffer.from(key).toString(), value && Buffer.from(value).toString()])
    expect(changes).toEqual([
      ['a', undefined],
      ['c', '30'],
      ['d', '4'],
    ])
  })

  it('applies changes to a tree', () => {
    const calls: string[] = []
    const tree = {
      set: (key: Uint8Array) => calls.push(`set ${Buffer.from(key)}`),
      delete: (key: Uint8Array) => calls.push(`delete ${Buffer.from(key)}`),
    }
    const n = applyChanges(tree as unknown as LogicalTree, [
      [Buffer.from('x'), Buffer.from('1')],
      [Buffer.from('y'), undefined],
    ])
    expect(n).toBe(2)
    expect(calls).toEqual(['set x', 'delete y'])
  })
})
