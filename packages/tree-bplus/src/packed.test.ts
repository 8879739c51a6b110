// Packed and PackedValues edited in place, against plain arrays: every operation the
// Editor uses, with strings of mixed and equal lengths (empty ones too), and what a
// commit would write from them (BPlusNodeType.toRaw) read back.

import { deepStrictEqual, equal } from 'node:assert/strict'
import { prng, randomBytes, randomInt, testSeed } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { Leaf } from './node.js'
import { BPlusNodeType } from './node-type.js'
import { NO_OWNER, type Owner } from './owner.js'
import { Packed } from './packed.js'
import { LargeValue, PackedValues, type Slot } from './packed-values.js'

const nodeType = new BPlusNodeType()

/** Owners for the copies edited here, as an Editor's sessions would be. */
let owners: Owner = NO_OWNER
const newSession = (): Owner => ++owners

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const slotText = (s: Slot): string => (s instanceof Uint8Array ? hex(s) : typeof s === 'number' ? `@${s}` : `L${hex(s.bytes)}`)

/** What Packed and PackedValues both offer the Editor. */
interface Editable<T, E> {
  readonly length: number
  insert(i: number, item: T): void
  remove(i: number): void
  replace(i: number, item: T): void
  splitOff(mid: number, owner: Owner): E
  append(other: E): void
  copy(owner: Owner): E
  toArray(): T[]
}

/** 60 random edits of `of(items).copy()`, each checked against the same edit of an array (and by `invariant`). */
function editAgainstArray<T, E extends Editable<T, E>>(
  rand: () => number,
  where: string,
  of: (items: T[]) => E,
  item: () => T,
  text: (item: T) => string,
  invariant: (edited: E) => void = () => {},
): void {
  const owner = newSession()
  let model = Array.from({ length: randomInt(rand, 6) }, item)
  let edited = of(model).copy(owner)
  for (let op = 0; op < 60; op++) {
    const r = rand()
    if (r < 0.35 || model.length === 0) {
      const i = randomInt(rand, model.length + 1)
      const s = item()
      edited.insert(i, s)
      model.splice(i, 0, s)
    } else if (r < 0.55) {
      const i = randomInt(rand, model.length)
      edited.remove(i)
      model.splice(i, 1)
    } else if (r < 0.75) {
      const i = randomInt(rand, model.length)
      const s = item()
      edited.replace(i, s)
      model[i] = s
    } else if (r < 0.85) {
      const mid = randomInt(rand, model.length + 1)
      const right = edited.splitOff(mid, owner)
      deepStrictEqual(right.toArray().map(text), model.slice(mid).map(text), where)
      if (rand() < 0.5) {
        // Carry on with the right half.
        edited = right
        model = model.slice(mid)
      } else model = model.slice(0, mid)
    } else if (r < 0.95) {
      const other = Array.from({ length: randomInt(rand, 5) }, item)
      edited.append(rand() < 0.5 ? of(other) : of(other).copy(owner))
      model.push(...other)
    } else {
      edited = edited.copy(owner)
    }
    equal(edited.length, model.length, where)
    deepStrictEqual(edited.toArray().map(text), model.map(text), `${where}, op ${op}`)
    invariant(edited)
  }
}

describe('Packed edited in place', () => {
  it('matches an array through random inserts, removes, replaces, splits and appends', () => {
    const seed = testSeed('bplus packed edits')
    const rand = prng(seed)
    for (let round = 0; round < 300; round++) {
      // Equal lengths in some rounds, so the one-width form is kept, left and regained.
      const width = randomInt(rand, 3) === 0 ? undefined : randomInt(rand, 6)
      const item = (): Uint8Array => randomBytes(rand, rand() < 0.05 ? 7 : (width ?? randomInt(rand, 9)))
      editAgainstArray(rand, `seed ${seed}, round ${round}`, (items) => Packed.of(items), item, hex)
    }
  })

  it('keeps two copies made in one buffer apart through random edits of both', () => {
    // The Editor copies a leaf's keys and values into one buffer (#ownLeaf): each
    // must write only its own part, and leave it when it outgrows it.
    const seed = testSeed('bplus packed shared buffer')
    const rand = prng(seed)
    for (let round = 0; round < 200; round++) {
      const where = `seed ${seed}, round ${round}`
      const owner = newSession()
      const item = (): Uint8Array => randomBytes(rand, randomInt(rand, 9))
      const models = [Array.from({ length: randomInt(rand, 6) }, item), Array.from({ length: randomInt(rand, 6) }, item)]
      const sources = models.map((m) => Packed.of(m))
      const originals = models.map((m) => m.map(hex))
      const rooms = sources.map(() => randomInt(rand, 12))
      const both = new Uint8Array(sources[0]!.used + rooms[0]! + sources[1]!.used + rooms[1]!)
      const firstBytes = sources[0]!.used + rooms[0]!
      const copies = [sources[0]!.copy(owner, both.subarray(0, firstBytes)), sources[1]!.copy(owner, both.subarray(firstBytes))]
      for (let op = 0; op < 40; op++) {
        const k = randomInt(rand, 2)
        const model = models[k]!
        const edited = copies[k]!
        if (rand() < 0.5 || model.length === 0) {
          const i = randomInt(rand, model.length + 1)
          const s = item()
          edited.insert(i, s)
          model.splice(i, 0, s)
          // biome-ignore lint/suspicious/noDuplicateElseIf: each rand() draws a new number
        } else if (rand() < 0.5) {
          const i = randomInt(rand, model.length)
          edited.remove(i)
          model.splice(i, 1)
        } else {
          const i = randomInt(rand, model.length)
          const s = item()
          edited.replace(i, s)
          model[i] = s
        }
        for (let j = 0; j < 2; j++) deepStrictEqual(copies[j]!.toArray().map(hex), models[j]!.map(hex), `${where}, op ${op}, copy ${j}`)
      }
      for (let j = 0; j < 2; j++) deepStrictEqual(sources[j]!.toArray().map(hex), originals[j], `${where}: source ${j} changed`)
    }
  })

  it('is written as the strings it holds, in the smallest form', () => {
    const owner = newSession()
    const keys = Packed.of([Buffer.from('a1'), Buffer.from('b22')]).copy(owner)
    keys.replace(1, Buffer.from('b2'))
    // Equal again after an edit: written as one width, as if packed from an array.
    const leaf = new Leaf(keys, PackedValues.of([Buffer.from('x'), Buffer.from('')]), owner)
    const raw = nodeType.toRaw(leaf) as unknown[]
    deepStrictEqual(
      raw.slice(0, 5).map((f) => (f instanceof Uint8Array ? Buffer.from(f).toString() : f)),
      [2, 'a1b2', 2, 'x', [1, 0]],
    )
  })
})

describe('a node the commit stores', () => {
  it('is cached sharing the edited buffers, and weighed with their spare room', () => {
    const owner = newSession()
    const keys = Packed.of([Buffer.from('a'), Buffer.from('b')]).copy(owner)
    const values = PackedValues.of([Buffer.alloc(100), Buffer.alloc(100)]).copy(owner)
    const spare = keys.bytes.length - 2 + values.inline.bytes.length - 200
    equal(spare > 64, true)
    const edited = new Leaf(keys, values, owner)
    const raw = nodeType.toRaw(edited)
    const stored = nodeType.stored(edited, raw, 100)
    equal(stored.spare, spare)
    equal(stored.keys.bytes.buffer, keys.bytes.buffer)
    equal(nodeType.weigh(stored, 250) - nodeType.weigh(nodeType.fromRaw(raw, 100, undefined as never), 250), spare)
  })
})

describe('PackedValues edited in place', () => {
  it('keeps inline bytes and addresses in step', () => {
    const seed = testSeed('bplus packed values edits')
    const rand = prng(seed)
    const slot = (): Slot => {
      const r = rand()
      if (r < 0.15) return 1000 + randomInt(rand, 1000)
      if (r < 0.25) return new LargeValue(randomBytes(rand, 3))
      return randomBytes(rand, rand() < 0.7 ? 4 : randomInt(rand, 6))
    }
    for (let round = 0; round < 200; round++) {
      const where = `seed ${seed}, round ${round}`
      editAgainstArray(
        rand,
        where,
        (slots) => PackedValues.of(slots),
        slot,
        slotText,
        (values) => {
          if (values.addresses !== null) equal(values.addresses.length, values.inline.length, where)
        },
      )
    }
  })
})
