// Packed and PackedValues edited in place, against plain arrays: every operation the
// Editor uses, with strings of mixed and equal lengths (empty ones too), and what a
// commit would write from them (bplusNodeType.toRaw) read back.

import { deepStrictEqual, equal } from 'node:assert/strict'
import { prng, randomBytes, randomInt, testSeed } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { LargeValue, Leaf, Packed, PackedValues, type Slot } from './node.js'
import { bplusNodeType } from './node-type.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const slotText = (s: Slot): string => (s instanceof Uint8Array ? hex(s) : typeof s === 'number' ? `@${s}` : `L${hex(s.bytes)}`)

describe('Packed edited in place', () => {
  it('matches an array through random inserts, removes, replaces, splits and appends', () => {
    const seed = testSeed('bplus packed edits')
    const rand = prng(seed)
    for (let round = 0; round < 300; round++) {
      const where = `seed ${seed}, round ${round}`
      const owner = {}
      // Equal lengths in some rounds, so the one-width form is kept, left and regained.
      const width = randomInt(rand, 3) === 0 ? undefined : randomInt(rand, 6)
      const item = (): Uint8Array => randomBytes(rand, width ?? randomInt(rand, 9))
      let model = Array.from({ length: randomInt(rand, 6) }, item)
      let packed = Packed.of(model).copy(owner)
      for (let op = 0; op < 60; op++) {
        const r = rand()
        if (r < 0.35 || model.length === 0) {
          const i = randomInt(rand, model.length + 1)
          const s = rand() < 0.05 ? randomBytes(rand, 7) : item()
          packed.insert(i, s)
          model.splice(i, 0, s)
        } else if (r < 0.55) {
          const i = randomInt(rand, model.length)
          packed.remove(i)
          model.splice(i, 1)
        } else if (r < 0.75) {
          const i = randomInt(rand, model.length)
          const s = item()
          packed.replace(i, s)
          model[i] = s
        } else if (r < 0.85) {
          const mid = randomInt(rand, model.length + 1)
          const right = packed.splitOff(mid, owner)
          deepStrictEqual(right.toArray().map(hex), model.slice(mid).map(hex), where)
          model = model.slice(0, mid)
          if (rand() < 0.5) {
            // Carry on with the right half.
            packed = right
            model = right.toArray().map((b) => b.slice())
          }
        } else if (r < 0.95) {
          const other = Array.from({ length: randomInt(rand, 5) }, item)
          packed.append(rand() < 0.5 ? Packed.of(other) : Packed.of(other).copy(owner))
          model.push(...other)
        } else {
          packed = packed.copy(owner)
        }
        equal(packed.length, model.length, where)
        deepStrictEqual(packed.toArray().map(hex), model.map(hex), `${where}, op ${op}`)
      }
    }
  })

  it('is written as the strings it holds, in the smallest form', () => {
    const owner = {}
    const keys = Packed.of([Buffer.from('a1'), Buffer.from('b22')]).copy(owner)
    keys.replace(1, Buffer.from('b2'))
    // Equal again after an edit: written as one width, as if packed from an array.
    const leaf = new Leaf(keys, PackedValues.of([Buffer.from('x'), Buffer.from('')]), owner)
    const raw = bplusNodeType.toRaw(leaf) as unknown[]
    deepStrictEqual(raw.slice(0, 5).map((f) => (f instanceof Uint8Array ? Buffer.from(f).toString() : f)), [2, 'a1b2', 2, 'x', [1, 0]])
  })
})

describe('PackedValues edited in place', () => {
  it('keeps inline bytes and addresses in step', () => {
    const seed = testSeed('bplus packed values edits')
    const rand = prng(seed)
    for (let round = 0; round < 200; round++) {
      const where = `seed ${seed}, round ${round}`
      const owner = {}
      const slot = (): Slot => {
        const r = rand()
        if (r < 0.15) return 1000 + randomInt(rand, 1000)
        if (r < 0.25) return new LargeValue(randomBytes(rand, 3))
        return randomBytes(rand, rand() < 0.7 ? 4 : randomInt(rand, 6))
      }
      let model: Slot[] = Array.from({ length: randomInt(rand, 5) }, slot)
      let values = PackedValues.of(model).copy(owner)
      for (let op = 0; op < 40; op++) {
        const r = rand()
        if (r < 0.35 || model.length === 0) {
          const i = randomInt(rand, model.length + 1)
          const s = slot()
          values.insert(i, s)
          model.splice(i, 0, s)
        } else if (r < 0.55) {
          const i = randomInt(rand, model.length)
          values.remove(i)
          model.splice(i, 1)
        } else if (r < 0.75) {
          const i = randomInt(rand, model.length)
          const s = slot()
          values.replace(i, s)
          model[i] = s
        } else if (r < 0.85) {
          const mid = randomInt(rand, model.length + 1)
          const right = values.splitOff(mid, owner)
          deepStrictEqual(right.toArray().map(slotText), model.slice(mid).map(slotText), where)
          if (rand() < 0.5) {
            values = right
            model = model.slice(mid)
          } else model = model.slice(0, mid)
        } else if (r < 0.95) {
          const other = Array.from({ length: randomInt(rand, 4) }, slot)
          values.append(PackedValues.of(other))
          model.push(...other)
        } else {
          values = values.copy(owner)
        }
        deepStrictEqual(values.toArray().map(slotText), model.map(slotText), `${where}, op ${op}`)
        if (values.addresses !== null) equal(values.addresses.length, model.length, where)
      }
    }
  })
})
