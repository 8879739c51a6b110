// The two kinds of B+ tree node as they live in memory, and the searches within one.
// Leaves hold sorted keys and their values; branches hold children, the separators
// between them and each child's key count, so ranks and sizes need no scan.

import { compareKeys, type Key, type NodeRef, type NodeStore } from '@dbdb/logical'

export const LEAF = 0
export const BRANCH = 1

/** A value too large for its leaf that has not been stored yet: commit gives it a record of its own. */
export class LargeValue {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * A leaf's value: the bytes themselves (inline), the address of the value's own record,
 * or a large value not yet stored. A bare Uint8Array always means inline, so the
 * dirty out-of-line form needs the LargeValue wrapper to stay unambiguous.
 */
export type Slot = Uint8Array | number | LargeValue

/**
 * The edit session allowed to change a node in place (see Editor), or null for
 * nodes that came from the file or were stored: those are never changed again.
 */
export type Owner = object | null

export class Leaf {
  readonly kind = LEAF
  constructor(
    public keys: Key[],
    public values: Slot[],
    public owner: Owner,
  ) {}
}

/** keys[i] separates children[i] (keys < keys[i]) from children[i + 1] (keys >= keys[i]). */
export class Branch {
  readonly kind = BRANCH
  constructor(
    public keys: Key[],
    public children: NodeRef<Node>[],
    public counts: number[],
    public owner: Owner,
  ) {}
}

export type Node = Leaf | Branch

/** What the fill rule counts: a leaf's keys or a branch's children. */
export function entriesOf(node: Node): number {
  return node.kind === LEAF ? node.keys.length : node.children.length
}

/** Keys in the subtree under `node`. */
export function countOf(node: Node): number {
  if (node.kind === LEAF) return node.keys.length
  let total = 0
  for (const c of node.counts) total += c
  return total
}

/** Index of `key` in `keys`, or ~(where it would be inserted) when absent. */
export function search(keys: readonly Key[], key: Key): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const c = compareKeys(keys[mid]!, key)
    if (c < 0) lo = mid + 1
    else if (c > 0) hi = mid
    else return mid
  }
  return ~lo
}

/** Index of the first key >= `key`. */
export function lowerBound(keys: readonly Key[], key: Key): number {
  const i = search(keys, key)
  return i >= 0 ? i : ~i
}

/** Index of the first key > `key`; in a branch, the child whose subtree may hold `key`. */
export function upperBound(keys: readonly Key[], key: Key): number {
  const i = search(keys, key)
  return i >= 0 ? i + 1 : ~i
}

/**
 * The shortest separator s with left < s <= right (left < right): a prefix of
 * `right`. Short separators keep branches small; copied so they hold no user buffer.
 */
export function separator(left: Key, right: Key): Key {
  const n = Math.min(left.length, right.length)
  let p = 0
  while (p < n && left[p] === right[p]) p++
  return right.slice(0, p + 1)
}

export function readSlot(slot: Slot, store: NodeStore<Node>): Uint8Array {
  if (slot instanceof Uint8Array) return slot
  if (typeof slot === 'number') return store.loadValue(slot)
  return slot.bytes
}
