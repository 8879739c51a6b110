// The msgpack fast path must be indistinguishable from the general path (and from
// msgpackr, another writer of standard MessagePack): the same bytes for every value it
// takes, the same values back, and a CodecError for malformed input.
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { CodecError } from './codec.js'
import { msgpackCodec } from './msgpack.js'
import { encodeGeneral } from './msgpack-encode.js'
import { decodeSimple, encodeSimple, NOT_SIMPLE_VALUE } from './msgpack-simple.js'

const seed = Number(process.env.DBDB_SEED ?? Math.floor(Math.random() * 2 ** 32))
console.log(`[seed] msgpack fast path: DBDB_SEED=${seed}`)

function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const reference = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  mapsAsObjects: true,
  int64AsType: 'number',
})

const edges = [
  0,
  1,
  0x1f,
  0x20,
  0x7f,
  0x80,
  0xff,
  0x100,
  0xffff,
  0x10000,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 40,
  Number.MAX_SAFE_INTEGER,
]
const numbers = [...edges, ...edges.map((n) => -n), -0x21, -0x81, -0x8001, 1.5, -0.25, Math.PI, NaN, Infinity, -Infinity, -0]
const lengths = [0, 1, 15, 16, 255, 256, 65535, 65536]

function randomValue(random: () => number, depth: number): unknown {
  const r = random()
  if (r < 0.4) return numbers[Math.floor(random() * numbers.length)]!
  if (r < 0.7) {
    const n = random() < 0.2 ? lengths[Math.floor(random() * lengths.length)]! : Math.floor(random() * 40)
    const bytes = Uint8Array.from({ length: n }, () => Math.floor(random() * 256))
    // Both kinds of byte string users and codecs hand in.
    return random() < 0.5 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) : bytes
  }
  if (depth > 4) return Math.floor(random() * 1000)
  const n = random() < 0.1 ? 16 + Math.floor(random() * 20) : Math.floor(random() * 6)
  return Array.from({ length: n }, () => randomValue(random, depth + 1))
}

function hasMinusZero(v: unknown): boolean {
  return Object.is(v, -0) || (Array.isArray(v) && v.some(hasMinusZero))
}

/** Deep equality that tells Buffers and Uint8Arrays only by their bytes, and NaN equals NaN. */
function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]))
  return Object.is(a, b) || (a === 0 && b === 0)
}

describe('msgpack fast path', () => {
  it('writes what the general encoder and msgpackr write, and reads what msgpackr reads (seeded random values)', () => {
    const random = mulberry32(seed)
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(random, 0)
      const fast = encodeSimple(value)
      const slow = reference.pack(value)
      expect(fast, `value ${i}`).toBeDefined()
      expect(Buffer.compare(fast!, encodeGeneral(value)), `value ${i}`).toBe(0)
      // msgpackr writes -0 as the integer 0, which this codec keeps as -0 (float 64).
      if (!hasMinusZero(value)) expect(Buffer.compare(fast!, slow), `value ${i}`).toBe(0)
      for (const shared of [false, true]) {
        const back = decodeSimple(slow, shared)
        expect(same(back, reference.unpack(slow)), `value ${i}`).toBe(true)
      }
    }
  })

  it('leaves every other type to the general path, and the codec still round-trips it', () => {
    for (const value of ['s', [1, 's'], { a: 1 }, [1, [true]], null, [undefined], new Date(3)]) {
      expect(encodeSimple(value)).toBeUndefined()
      const bytes = msgpackCodec.encode(value)
      expect(decodeSimple(bytes, false)).toBe(NOT_SIMPLE_VALUE)
      expect(msgpackCodec.decode(bytes)).toEqual(value)
    }
    // BigInts, sparse arrays and very deep nesting go to the general path too.
    expect(encodeSimple([2n])).toBeUndefined()
    // biome-ignore lint/suspicious/noSparseArray: an array with a hole is a case under test
    expect(encodeSimple([1, , 3])).toBeUndefined()
    let deep: unknown = 1
    for (let i = 0; i < 100; i++) deep = [deep]
    expect(encodeSimple(deep)).toBeUndefined()
    expect(decodeSimple(reference.pack(deep), false)).toBe(NOT_SIMPLE_VALUE)
  })

  it('decodeShared gives views of the input; decode gives copies', () => {
    const bytes = msgpackCodec.encode([1, Buffer.from('abc')])
    const shared = msgpackCodec.decodeShared!(bytes) as [number, Uint8Array]
    const copied = msgpackCodec.decode(bytes) as [number, Uint8Array]
    expect(shared[1].buffer).toBe(bytes.buffer)
    copied[1][0] = 0
    expect(Buffer.from(shared[1]).toString()).toBe('abc')
  })

  it('reports every truncation, lying count and trailing byte as CodecError', () => {
    const random = mulberry32(seed ^ 0x5bd1e995)
    for (let i = 0; i < 200; i++) {
      const bytes = reference.pack(randomValue(random, 0))
      for (let cut = 0; cut < Math.min(bytes.length, 64); cut++) {
        expect(() => msgpackCodec.decode(bytes.subarray(0, cut)), `value ${i} cut at ${cut}`).toThrow(CodecError)
      }
      expect(() => msgpackCodec.decode(Buffer.concat([bytes, Buffer.of(0)])), `value ${i} + 1 byte`).toThrow(CodecError)
    }
    expect(() => msgpackCodec.decode(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff))).toThrow(CodecError)
    expect(() => msgpackCodec.decode(Uint8Array.of(0xc6, 0xff, 0xff, 0xff, 0xff, 0))).toThrow(CodecError)
  })
})
