// The changes between two states of a tree, as compaction needs them to catch up
// with commits made while it copied: a merge of both trees' entries in key order.

import { compareKeys, type Key } from './keys.js'
import type { LogicalTree } from './logical-tree.js'

/** A change: set `key` to `value`, or delete it when `value` is undefined. */
export type Change = [key: Key, value: Uint8Array | undefined]

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The changes that turn `from` into `to`, in key order. Reads both trees in full. */
export function* diffTrees(from: LogicalTree, to: LogicalTree): Generator<Change> {
  const a = from.entries()
  const b = to.entries()
  let x = a.next()
  let y = b.next()
  while (!x.done || !y.done) {
    const c = x.done ? 1 : y.done ? -1 : compareKeys(x.value[0], y.value[0])
    if (c < 0) {
      yield [x.value![0], undefined]
      x = a.next()
    } else if (c > 0) {
      yield [y.value![0], y.value![1]]
      y = b.next()
    } else {
      if (!sameBytes(x.value![1], y.value![1])) yield [y.value![0], y.value![1]]
      x = a.next()
      y = b.next()
    }
  }
}

/** Applies changes to a tree (open for writing). Returns how many there were. */
export function applyChanges(tree: LogicalTree, changes: Iterable<Change>): number {
  let n = 0
  for (const [key, value] of changes) {
    if (value === undefined) tree.delete(key)
    else tree.set(key, value)
    n++
  }
  return n
}
