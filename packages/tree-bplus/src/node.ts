// The two kinds of B+ tree node as they live in memory, and the searches within one.
// Leaves hold sorted keys and their values; branches hold children, the separators
// between them and each child's key count, so ranks and sizes need no scan.
//
// Keys and inline values are always packed: all their bytes in one buffer, and
// where each one ends (or one width, when all are equally long). Reading a node
// makes a handful of objects instead of two per entry, a search walks one
// contiguous buffer instead of one object per key, and a commit writes the buffers
// as they are. A node read from the file (or cached by a commit as if read) is never
// changed. A node of the open transaction is changed in place by the Editor: an
// insert moves the bytes after it along (a memmove of a few KiB at most), instead of
// keeping one object per key and value that every search chases and the commit
// gathers up again.

import type { Key, NodeRef, NodeStore } from '@dbdb/logical'

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
 * The edit session allowed to change a node (or a Packed) in place (see Editor), or
 * NO_OWNER for those that came from the file or were stored: never changed again.
 * A number, not an object token: a field that always holds a small integer keeps
 * one representation, so code V8 optimised during a bulk load (every node owned)
 * stays valid when the next commits edit nodes read from the cache (none owned).
 */
export type Owner = number
export const NO_OWNER = 0

let sessions = NO_OWNER
/** A session id no other edit session in this process has had. */
export function newSession(): Owner {
  return ++sessions
}

const EMPTY_BYTES = new Uint8Array(0)

/**
 * Byte strings packed into one buffer. Either they all have the same `width` (keys
 * and values often do, and then finding string i needs no table: fewer cache misses
 * per search), or string i is bytes[ends[i - 1] .. ends[i]] (from 0 for the first).
 * The strings fill bytes[0 .. used); an owned one may have room to grow past that.
 * Like an array it has `length` and `at(i)`; `at` returns a view of the shared
 * buffer, never a copy, which stays right only while nothing changes this Packed:
 * the Editor changes only what its current session owns, and freezes the session
 * before anything can hold views past the next write (iterators, savepoints,
 * commits); a get() caller copies before the next write (the LogicalTree contract).
 */
export class Packed {
  bytes: Uint8Array
  /** Where each string ends, or null when they all have `width` bytes. */
  ends: number[] | null
  width: number
  length: number
  owner: Owner
  // bytes.buffer and bytes.byteOffset, kept: at() runs once per entry read, and the
  // typed array's accessors are not free.
  #buffer: ArrayBufferLike
  #offset: number
  #lengths: number | number[] | undefined = undefined

  constructor(bytes: Uint8Array, ends: number[] | null, width: number, length: number, owner: Owner = NO_OWNER) {
    this.bytes = bytes
    this.ends = ends
    this.width = width
    this.length = length
    this.owner = owner
    this.#buffer = bytes.buffer
    this.#offset = bytes.byteOffset
  }

  /** The strings packed exactly (one width when all are equally long). */
  static of(items: readonly Uint8Array[], owner: Owner = NO_OWNER): Packed {
    let total = 0
    let same = true
    for (const item of items) {
      total += item.length
      same &&= item.length === items[0]!.length
    }
    const bytes = new Uint8Array(total)
    const ends = same ? null : new Array<number>(items.length)
    let at = 0
    for (let i = 0; i < items.length; i++) {
      bytes.set(items[i]!, at)
      at += items[i]!.length
      if (ends !== null) ends[i] = at
    }
    return new Packed(bytes, ends, same && items.length > 0 ? items[0]!.length : 0, items.length, owner)
  }

  start(i: number): number {
    const ends = this.ends
    return ends === null ? i * this.width : i === 0 ? 0 : ends[i - 1]!
  }

  end(i: number): number {
    const ends = this.ends
    return ends === null ? (i + 1) * this.width : ends[i]!
  }

  /** Bytes in use: the strings fill bytes[0 .. used). */
  get used(): number {
    return this.length === 0 ? 0 : this.end(this.length - 1)
  }

  /** The strings' bytes and nothing past them (a view). */
  content(): Uint8Array {
    const used = this.used
    return used === this.bytes.length ? this.bytes : this.bytes.subarray(0, used)
  }

  /** Bytes of room past the strings. */
  get spare(): number {
    return this.bytes.length - this.used
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

  /**
   * How a record lists the strings' lengths: one width when every string has that
   * many bytes (more than 0), else each one's length; the same for every editing
   * history that leads to the same strings. Remembered once no session may change
   * the strings: a branch's keys are written again by every commit below it.
   */
  lengths(): number | number[] {
    if (this.#lengths !== undefined) return this.#lengths
    if (this.ends === null && this.width > 0) return this.width
    const lengths = new Array<number>(this.length)
    let same = true
    for (let i = 0; i < lengths.length; i++) {
      lengths[i] = this.end(i) - this.start(i)
      same &&= lengths[i] === lengths[0]
    }
    const result = same && lengths.length > 0 && lengths[0]! > 0 ? lengths[0]! : lengths
    if (this.owner === NO_OWNER) this.#lengths = result
    return result
  }

  /** The strings as an array of views. */
  toArray(): Uint8Array[] {
    const out = new Array<Uint8Array>(this.length)
    for (let i = 0; i < out.length; i++) out[i] = this.at(i)
    return out
  }

  // ---- editing: only by the session that owns this Packed ----

  /** The room a copy gets by default: a little, for a few more strings. */
  get defaultRoom(): number {
    return (this.used >> 3) + 64
  }

  /**
   * A copy `owner` may change, in `into`: at least `used` bytes, the rest room to grow
   * (by default a little). `into` may be part of a buffer shared with another copy:
   * each only ever writes its own part, and one that outgrows it moves out.
   */
  copy(owner: Owner, into: Uint8Array = new Uint8Array(this.used + this.defaultRoom)): Packed {
    into.set(this.bytes.subarray(0, this.used))
    return new Packed(into, this.ends === null ? null : this.ends.slice(0, this.length), this.width, this.length, owner)
  }

  insert(i: number, s: Uint8Array): void {
    const n = s.length
    this.#fit(n)
    const used = this.used
    const at = this.start(i)
    this.#reserve(used + n)
    this.bytes.copyWithin(at + n, at, used)
    this.bytes.set(s, at)
    const ends = this.ends
    if (ends !== null) {
      for (let j = this.length; j > i; j--) ends[j] = ends[j - 1]! + n
      ends[i] = at + n
    }
    this.length++
  }

  remove(i: number): void {
    const used = this.used
    const at = this.start(i)
    const n = this.end(i) - at
    this.bytes.copyWithin(at, at + n, used)
    const ends = this.ends
    this.length--
    if (ends !== null) {
      for (let j = i; j < this.length; j++) ends[j] = ends[j + 1]! - n
      ends.length = this.length
    }
  }

  replace(i: number, s: Uint8Array): void {
    const at = this.start(i)
    const old = this.end(i) - at
    const delta = s.length - old
    if (delta !== 0) {
      const used = this.used
      this.#toEnds()
      this.#reserve(used + delta)
      this.bytes.copyWithin(at + s.length, at + old, used)
      const ends = this.ends!
      for (let j = i; j < this.length; j++) ends[j]! += delta
    }
    this.bytes.set(s, at)
  }

  /** Moves strings mid.. into a new Packed of `owner`'s, and returns it. */
  splitOff(mid: number, owner: Owner): Packed {
    const from = this.start(mid)
    const used = this.used
    // Room to double: a node split off in a bulk load fills up again in this session.
    const bytes = new Uint8Array(2 * (used - from) + 64)
    bytes.set(this.bytes.subarray(from, used))
    const ends = this.ends
    let rightEnds: number[] | null = null
    if (ends !== null) {
      rightEnds = new Array<number>(this.length - mid)
      for (let j = mid; j < this.length; j++) rightEnds[j - mid] = ends[j]! - from
      ends.length = mid
    }
    const right = new Packed(bytes, rightEnds, this.width, this.length - mid, owner)
    this.length = mid
    return right
  }

  /** Appends every string of `other`. */
  append(other: Packed): void {
    if (other.length === 0) return
    if (this.ends === null && (other.ends !== null || other.width !== this.width)) {
      if (this.length === 0 && other.ends === null) this.width = other.width
      else this.#toEnds()
    }
    const used = this.used
    const add = other.used
    this.#reserve(used + add)
    this.bytes.set(other.bytes.subarray(0, add), used)
    const ends = this.ends
    if (ends !== null) for (let j = 0; j < other.length; j++) ends.push(used + other.end(j))
    this.length += other.length
  }

  /** Keeps the one-width form while a string of `n` bytes fits it. */
  #fit(n: number): void {
    if (this.ends !== null || n === this.width) return
    if (this.length === 0) this.width = n
    else this.#toEnds()
  }

  #toEnds(): void {
    if (this.ends !== null) return
    const ends = new Array<number>(this.length)
    for (let j = 0; j < ends.length; j++) ends[j] = (j + 1) * this.width
    this.ends = ends
  }

  #reserve(need: number): void {
    if (need <= this.bytes.length) return
    const bytes = new Uint8Array(Math.max(need, this.bytes.length + (this.bytes.length >> 1) + 64))
    bytes.set(this.bytes.subarray(0, this.used))
    this.bytes = bytes
    this.#buffer = bytes.buffer
    this.#offset = 0
  }
}

/**
 * A leaf's values: the inline bytes packed (a value kept elsewhere has 0 bytes
 * there), and for the values kept elsewhere their address, or the LargeValue not yet
 * stored; null when there are none.
 */
export class PackedValues {
  constructor(
    public inline: Packed,
    public addresses: Array<number | LargeValue | undefined> | null,
  ) {}

  static of(slots: readonly Slot[], owner: Owner = NO_OWNER): PackedValues {
    const inline = new Array<Uint8Array>(slots.length)
    let addresses: Array<number | LargeValue | undefined> | null = null
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!
      if (slot instanceof Uint8Array) inline[i] = slot
      else {
        addresses ??= new Array<number | LargeValue | undefined>(slots.length).fill(undefined)
        addresses[i] = slot
        inline[i] = EMPTY_BYTES
      }
    }
    return new PackedValues(Packed.of(inline, owner), addresses)
  }

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

  // ---- editing: only by the session that owns `inline` ----

  /** A copy `owner` may change, its inline bytes in `into` (see Packed.copy) or a buffer of their own. */
  copy(owner: Owner, into?: Uint8Array): PackedValues {
    return new PackedValues(this.inline.copy(owner, into), this.addresses?.slice() ?? null)
  }

  insert(i: number, slot: Slot): void {
    // The addresses first: made now, they are made as long as the values were.
    if (slot instanceof Uint8Array) {
      this.addresses?.splice(i, 0, undefined)
      this.inline.insert(i, slot)
    } else {
      this.#addresses().splice(i, 0, slot)
      this.inline.insert(i, EMPTY_BYTES)
    }
  }

  replace(i: number, slot: Slot): void {
    if (slot instanceof Uint8Array) {
      this.inline.replace(i, slot)
      if (this.addresses !== null) this.addresses[i] = undefined
    } else {
      this.inline.replace(i, EMPTY_BYTES)
      this.#addresses()[i] = slot
    }
  }

  remove(i: number): void {
    this.inline.remove(i)
    this.addresses?.splice(i, 1)
  }

  splitOff(mid: number, owner: Owner): PackedValues {
    return new PackedValues(this.inline.splitOff(mid, owner), this.addresses?.splice(mid) ?? null)
  }

  append(other: PackedValues): void {
    if (this.addresses !== null || other.addresses !== null) {
      const mine = this.addresses ?? new Array<undefined>(this.length).fill(undefined)
      this.addresses = mine.concat(other.addresses ?? new Array<undefined>(other.length).fill(undefined))
    }
    this.inline.append(other.inline)
  }

  /** The addresses, made when the first value kept elsewhere arrives. */
  #addresses(): Array<number | LargeValue | undefined> {
    return (this.addresses ??= new Array<number | LargeValue | undefined>(this.inline.length).fill(undefined))
  }
}

/**
 * A leaf that was changed by a few keys since it was last written whole is written
 * as a patch of its base (see node-type.ts) instead of whole: at most one key in
 * PATCH_SHARE of the leaf's. A 48-key leaf changed once per commit is then written
 * whole every ~7 commits, which keeps the bytes written per commit near their least
 * (a quarter writes about as many, and made large transactions keep track of twice
 * as many keys per leaf before giving up: overwrites ~23% slower, not ~10%).
 */
export const PATCH_SHARE = 8

/** Whether a patch of `changes` keys (or children) is within its share of a node of `entries`. */
export function withinShare(changes: number, entries: number): boolean {
  return changes * PATCH_SHARE <= entries
}

/**
 * A node the commit just stored is cached in its read form, whose views share the
 * buffers the transaction edited (copying them exactly cost ~25 ms of a 200,000-key
 * load's commit): `spare` is their room past the strings, which the cache counts.
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
