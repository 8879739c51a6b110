// The two kinds of B+ tree node as they live in memory, and the searches within one.
// Leaves hold sorted keys and their values; branches hold children, the separators
// between them and each child's key count, so ranks and sizes need no scan.

import type { Key, NodeRef, NodeStore } from '@dbdb/logical'
import type { Owner } from './owner.js'
import type { Packed } from './packed.js'
import type { PackedValues, Slot } from './packed-values.js'

export const LEAF = 0
export const BRANCH = 1

/**
 * A node the commit just stored is cached in its read form, whose views share the
 * buffers the transaction edited (copying them exactly would copy every byte a bulk
 * load's commit writes once more): `spare` is their room past the strings, which the
 * cache counts.
 */
export class Leaf {
  readonly kind = LEAF
  spare = 0
  /**
   * The address of the whole leaf record this leaf is a patch of, or was read from;
   * 0 when it has none (a new leaf, or one a split or rebalance reshaped).
   */
  base = 0
  /** With a base: the keys set or deleted since it (sorted, each once), or null for none. */
  patch: Packed | null = null
  constructor(
    public keys: Packed,
    public values: PackedValues,
    public owner: Owner,
  ) {}
}

/** keys[i] separates children[i] (keys < keys[i]) from children[i + 1] (keys >= keys[i]). */
export class Branch {
  readonly kind = BRANCH
  spare = 0
  /**
   * The address of the whole branch record this branch is a patch of, or was read
   * from; 0 when it has none (a new branch, or one whose keys changed).
   */
  base = 0
  /**
   * With a base: the indexes of the children (and counts) changed since it, ascending,
   * or null for none. Never changed in place: the Editor replaces it with a longer one,
   * so a stored node and the copies made from it never share a list that grows.
   */
  changed: number[] | null = null
  constructor(
    public keys: Packed,
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

/** Index of the first key >= `key`. */
export function lowerBound(keys: Packed, key: Key): number {
  const i = keys.search(key)
  return i >= 0 ? i : ~i
}

/** Index of the first key > `key`; in a branch, the child whose subtree may hold `key`. */
export function upperBound(keys: Packed, key: Key): number {
  const i = keys.search(key)
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
