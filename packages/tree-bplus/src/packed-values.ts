// A leaf's values: the inline ones packed, the rest kept in records of their own.

import { NO_OWNER, type Owner } from './owner.js'
import { Packed } from './packed.js'

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

const EMPTY_BYTES = new Uint8Array(0)

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
    this.addresses ??= new Array<number | LargeValue | undefined>(this.inline.length).fill(undefined)
    return this.addresses
  }
}
