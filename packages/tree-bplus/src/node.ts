// The two kinds of B+ tree node as they live in memory, and the searches within one.
// Leaves hold sorted keys and their values; branches hold children, the separators
// between them and each child's key count, so ranks and sizes need no scan.
//
// A node has one of two forms. A node read from the file (or cached by a commit as
// if read) holds its keys and inline values packed: all their bytes in one buffer
// and where each one ends. Reading a packed node makes a handful of objects instead
// of two per entry, and a search walks one contiguous buffer instead of one object
// per key: that is most of what a warm get costs. Packed nodes are never changed. A
// node of the open transaction holds its values as an array, and its keys packed
// (shared with the node it was copied from) until they change, then as an array;
// the Editor changes those arrays in place.

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
 * Byte strings packed into one buffer. Either they all have the same `width` (keys
 * and values often do, and then finding string i needs no table: fewer cache misses
 * per search), or string i is bytes[ends[i - 1] .. ends[i]] (from 0 for the first).
 * Like an array it has `length` and `at(i)`; `at` returns a view of the shared
 * buffer, never a copy.
 */
export class Packed {
  readonly bytes: Uint8Array
  /** Where each string ends, or null when they all have `width` bytes. */
  readonly ends: number[] | null
  readonly width: number
  readonly length: number
  // bytes.buffer and bytes.byteOffset, kept: at() runs once per entry read, and the
  // typed array's accessors are not free.
  readonly #buffer: ArrayBufferLike
  readonly #offset: number

  constructor(bytes: Uint8Array, ends: number[] | null, width: number, length: number) {
    this.bytes = bytes
    this.ends = ends
    this.width = width
    this.length = length
    this.#buffer = bytes.buffer
    this.#offset = bytes.byteOffset
  }

  start(i: number): number {
    const ends = this.ends
    return ends === null ? i * this.width : i === 0 ? 0 : ends[i - 1]!
  }

  end(i: number): number {
    const ends = this.ends
    return ends === null ? (i + 1) * this.width : ends[i]!
  }

  at(i: number): Uint8Array {
    const start = this.start(i)
    return new Uint8Array(this.#buffer, this.#offset + start, this.end(i) - start)
  }

  /** Index of `key`, or ~(where it would be inserted) when absent. */
  search(key: Key): number {
    const bytes = this.bytes
    const ends = this.ends
    const width = this.width
    const kn = key.length
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      let s: number
      let len: number
      if (ends === null) {
        s = mid * width
        len = width
      } else {
        s = mid === 0 ? 0 : ends[mid - 1]!
        len = ends[mid]! - s
      }
      const n = len < kn ? len : kn
      let c = 0
      for (let j = 0; j < n; j++) {
        c = bytes[s + j]! - key[j]!
        if (c !== 0) break
      }
      if (c === 0) c = len - kn
      if (c < 0) lo = mid + 1
      else if (c > 0) hi = mid
      else return mid
    }
    return ~lo
  }

  /** The strings as an array of views (for the Editor, which changes arrays in place). */
  toArray(): Uint8Array[] {
    const out = new Array<Uint8Array>(this.length)
    for (let i = 0; i < out.length; i++) out[i] = this.at(i)
    return out
  }
}

/** A stored leaf's values: packed inline bytes, and the addresses of values kept in records of their own. */
export class PackedValues {
  constructor(
    readonly inline: Packed,
    /** Address of value i when it is out of line, else undefined; null when none is. */
    readonly addresses: Array<number | undefined> | null,
  ) {}

  get length(): number {
    return this.inline.length
  }

  at(i: number): Slot {
    return this.addresses?.[i] ?? this.inline.at(i)
  }

  toArray(): Slot[] {
    const out = new Array<Slot>(this.length)
    for (let i = 0; i < out.length; i++) out[i] = this.at(i)
    return out
  }
}

/** A node's keys in either form. */
export type Keys = Key[] | Packed
export type Values = Slot[] | PackedValues

/**
 * The edit session allowed to change a node in place (see Editor), or null for
 * nodes that came from the file or were stored: those are never changed again.
 */
export type Owner = object | null

export class Leaf<K extends Keys = Keys, V extends Values = Values> {
  readonly kind = LEAF
  constructor(
    public keys: K,
    public values: V,
    public owner: Owner,
  ) {}
}

/** keys[i] separates children[i] (keys < keys[i]) from children[i + 1] (keys >= keys[i]). */
export class Branch<K extends Keys = Keys> {
  readonly kind = BRANCH
  constructor(
    public keys: K,
    public children: NodeRef<Node>[],
    public counts: number[],
    public owner: Owner,
  ) {}
}

export type Node = Leaf | Branch
/** Nodes of the Editor's current session, which only it changes: values are an array, keys become one when they change. */
export type EditLeaf = Leaf<Keys, Slot[]>
export type EditBranch = Branch
export type EditNode = EditLeaf | EditBranch

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
export function search(keys: Keys, key: Key): number {
  if (keys instanceof Packed) return keys.search(key)
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
export function lowerBound(keys: Keys, key: Key): number {
  const i = search(keys, key)
  return i >= 0 ? i : ~i
}

/** Index of the first key > `key`; in a branch, the child whose subtree may hold `key`. */
export function upperBound(keys: Keys, key: Key): number {
  const i = search(keys, key)
  return i >= 0 ? i + 1 : ~i
}

/** Key i of either form. */
export function keyAt(keys: Keys, i: number): Key {
  return keys instanceof Packed ? keys.at(i) : keys[i]!
}

/** Value slot i of either form. */
export function slotAt(values: Values, i: number): Slot {
  return values instanceof PackedValues ? values.at(i) : values[i]!
}

/** A fresh array of the keys, which the caller may change. */
export function keyArray(keys: Keys): Key[] {
  return keys instanceof Packed ? keys.toArray() : keys.slice()
}

export function slotArray(values: Values): Slot[] {
  return values instanceof PackedValues ? values.toArray() : values.slice()
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
