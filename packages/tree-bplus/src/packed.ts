// Byte strings packed into one buffer: how a node holds its keys and inline values.
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

import type { Key } from '@dbdb/logical'
import { NO_OWNER, type Owner } from './owner.js'

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
      const n = Math.min(len, kn)
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
