// The promise both value codecs keep: a value reads back exactly as it was encoded
// (same types, same prototypes, -0 and NaN, every own key), or encode throws a
// TypeError. Seeded generated values mix every type, supported or not.
import { prng, randomInt, testSeed } from '@dbdb/storage/testing'
import { describe, expect, it } from 'vitest'
import { type Codec, CodecError, jsonCodec, msgpackCodec } from './index.js'

/** A generated value, and whether each codec must carry it (else it must refuse it). */
interface Sample {
  value: unknown
  msgpack: boolean
  json: boolean
}

const TYPED = [
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0x7f,
  0x80,
  -0x21,
  0xffff,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53 - 1,
  -(2 ** 53),
  1.5,
  -0.1,
  Math.PI,
  1e300,
  5e-324,
  NaN,
  Infinity,
  -Infinity,
]
const BIGINTS = [
  0n,
  1n,
  -1n,
  10n,
  2n ** 60n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 63n,
  2n ** 64n - 1n,
  2n ** 64n,
  -(2n ** 63n) - 1n,
  2n ** 200n + 7n,
  -(3n ** 150n),
]
const STRINGS = [
  '',
  'a',
  'text \u00e9 \u{1f600}',
  '\ud800',
  '\udfff',
  'a\ud83dz',
  '\ude00\ud83d',
  'x'.repeat(40),
  '\u00e9'.repeat(70),
  'y'.repeat(300),
]
const KEYS = [
  'a',
  'b',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '0',
  '1',
  '10',
  '-1',
  '01',
  '1.5',
  '',
  '\ud800',
  'k\u00e9y',
  'then',
]
const DATES = [0, 1, -1, 1500, 2 ** 32 * 1000, 2 ** 34 * 1000 + 7, -62135596800000, 8.64e15, -8.64e15, 1_700_000_000_123, NaN]

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[randomInt(rand, list.length)]!
}

class Point {
  x = 1
}

/** Values neither codec can carry exactly. */
function unsupported(rand: () => number): unknown {
  const cyclic: unknown[] = [1]
  cyclic.push([cyclic])
  // biome-ignore lint/suspicious/noSparseArray: an array with a hole is a case under test
  const sparse = [1, , 3]
  const symbolKeyed = { a: 1, [Symbol('s')]: 2 }
  const makers: (() => unknown)[] = [
    () => () => 1,
    () => Symbol('s'),
    () => new Point(),
    () => new WeakMap(),
    () => Promise.resolve(1),
    () => /re/g,
    () => new Error('e'),
    () => cyclic,
    () => new DataView(new ArrayBuffer(4)),
    () => new ArrayBuffer(4),
    () => new Number(1), // eslint-disable-line no-new-wrappers
    () => new String('s'), // eslint-disable-line no-new-wrappers
    () => symbolKeyed,
    () => sparse,
    () => new (class extends Map {})(),
    () => new (class extends Array {})(),
    () => new (class extends Date {})(0),
    () => Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 }),
  ]
  return pick(rand, makers)()
}

function sample(rand: () => number, depth: number): Sample {
  const r = rand()
  if (r < 0.04) return { value: unsupported(rand), msgpack: false, json: false }
  if (r < 0.1) return { value: null, msgpack: true, json: true }
  if (r < 0.14) return { value: rand() < 0.5, msgpack: true, json: true }
  if (r < 0.26) {
    const n = pick(rand, NUMBERS)
    return { value: n, msgpack: true, json: Number.isFinite(n) && !Object.is(n, -0) }
  }
  if (r < 0.32) return { value: pick(rand, BIGINTS), msgpack: true, json: false }
  if (r < 0.42) return { value: pick(rand, STRINGS), msgpack: true, json: true }
  if (r < 0.45) return { value: undefined, msgpack: true, json: false }
  if (r < 0.49) return { value: new Date(pick(rand, DATES)), msgpack: true, json: false }
  if (r < 0.53) {
    const bytes = Uint8Array.from({ length: randomInt(rand, 20) }, () => randomInt(rand, 256))
    return { value: rand() < 0.5 ? bytes : Buffer.from(bytes), msgpack: true, json: true }
  }
  if (r < 0.58) {
    const Kind = pick(rand, TYPED)
    const n = randomInt(rand, 6)
    const raw = Uint8Array.from({ length: n * Kind.BYTES_PER_ELEMENT }, () => randomInt(rand, 256))
    const typed = new Kind(raw.buffer)
    if (typed instanceof Float32Array || typed instanceof Float64Array)
      if (n > 0 && rand() < 0.5) typed[0] = pick(rand, [NaN, -0, Infinity])
    // Sometimes a view into a larger buffer.
    const value = rand() < 0.3 && n > 1 ? typed.subarray(1) : typed
    return { value, msgpack: true, json: false }
  }
  if (depth >= 4) return { value: randomInt(rand, 100), msgpack: true, json: true }
  const children = (): Sample[] => Array.from({ length: randomInt(rand, 5) }, () => sample(rand, depth + 1))
  const all = (list: Sample[], codec: 'msgpack' | 'json'): boolean => list.every((s) => s[codec])
  if (r < 0.7) {
    const items = children()
    return { value: items.map((s) => s.value), msgpack: all(items, 'msgpack'), json: all(items, 'json') }
  }
  if (r < 0.85) {
    const nullProto = rand() < 0.15
    const obj: Record<string, unknown> = nullProto ? (Object.create(null) as Record<string, unknown>) : {}
    const items: Sample[] = []
    for (let i = randomInt(rand, 5); i > 0; i--) {
      const s = sample(rand, depth + 1)
      const key = pick(rand, KEYS)
      if (Object.hasOwn(obj, key)) continue
      Object.defineProperty(obj, key, { value: s.value, writable: true, enumerable: true, configurable: true })
      items.push(s)
    }
    return { value: obj, msgpack: all(items, 'msgpack'), json: !nullProto && all(items, 'json') }
  }
  if (r < 0.93) {
    const map = new Map<unknown, unknown>()
    const items: Sample[] = []
    for (let i = randomInt(rand, 5); i > 0; i--) {
      const k = sample(rand, depth + 1)
      const v = sample(rand, depth + 1)
      if (map.has(k.value)) continue
      map.set(k.value, v.value)
      items.push(k, v)
    }
    return { value: map, msgpack: all(items, 'msgpack'), json: false }
  }
  const set = new Set<unknown>()
  const items: Sample[] = []
  for (const s of children()) {
    if (set.has(s.value)) continue
    set.add(s.value)
    items.push(s)
  }
  return { value: set, msgpack: all(items, 'msgpack'), json: false }
}

/** Throws unless `back` is `want` exactly: types, prototypes, own keys and their order, Object.is for numbers. */
export function expectSame(back: unknown, want: unknown, path = 'value'): void {
  const fail = (why: string): never => {
    throw new Error(`${path}: ${why}`)
  }
  if (typeof back !== typeof want) fail(`${typeof back} instead of ${typeof want}`)
  if (typeof want !== 'object' || want === null) {
    if (!Object.is(back, want)) fail(`${String(back)} instead of ${String(want)}`)
    return
  }
  if (back === null) fail('null instead of an object')
  const b = back as object
  if (want instanceof Uint8Array) {
    // Documented: bytes (Uint8Array, Buffer) come back as Buffer.
    if (!(b instanceof Buffer)) fail('bytes did not come back as a Buffer')
  } else if (Object.getPrototypeOf(b) !== Object.getPrototypeOf(want))
    fail(`prototype ${b.constructor?.name} instead of ${want.constructor?.name}`)
  if (ArrayBuffer.isView(want)) {
    const wb = Buffer.from(want.buffer, want.byteOffset, want.byteLength)
    const bb = Buffer.from((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength)
    if (!wb.equals(bb)) fail('different bytes')
    return
  }
  if (want instanceof Date) {
    if (!Object.is((b as Date).getTime(), want.getTime())) fail(`time ${(b as Date).getTime()} instead of ${want.getTime()}`)
    return
  }
  if (want instanceof Set) {
    const w = [...want]
    const g = [...(b as Set<unknown>)]
    if (g.length !== w.length) fail(`size ${g.length} instead of ${w.length}`)
    for (const [i, v] of w.entries()) expectSame(g[i], v, `${path}<${i}>`)
    return
  }
  if (want instanceof Map) {
    const w = [...want]
    const g = [...(b as Map<unknown, unknown>)]
    if (g.length !== w.length) fail(`size ${g.length} instead of ${w.length}`)
    w.forEach(([k, v], i) => {
      expectSame(g[i]![0], k, `${path}<key ${i}>`)
      expectSame(g[i]![1], v, `${path}<${i}>`)
    })
    return
  }
  const wk = Reflect.ownKeys(want).filter((k) => !(Array.isArray(want) && k === 'length'))
  const gk = Reflect.ownKeys(b).filter((k) => !(Array.isArray(b) && k === 'length'))
  if (Array.isArray(want) && (b as unknown[]).length !== want.length) fail(`length ${(b as unknown[]).length} instead of ${want.length}`)
  if (JSON.stringify(gk.map(String)) !== JSON.stringify(wk.map(String))) fail(`keys ${String(gk)} instead of ${String(wk)}`)
  for (const k of wk) {
    const d = Object.getOwnPropertyDescriptor(b, k)!
    if (!('value' in d) || !d.enumerable || !d.writable) fail(`key ${String(k)} is not a plain data property`)
    expectSame(d.value, (want as Record<PropertyKey, unknown>)[k], `${path}.${String(k)}`)
  }
}

const CODECS = [
  ['msgpack', msgpackCodec],
  ['json', jsonCodec],
] as const

describe.each(CODECS)('%s codec: exact round trip or TypeError', (name, codec: Codec) => {
  it('for seeded generated values', () => {
    const seed = testSeed(`codec values ${name}`)
    const rand = prng(seed)
    let carried = 0
    for (let i = 0; i < 3000; i++) {
      const s = sample(rand, 0)
      let bytes: Uint8Array
      try {
        bytes = codec.encode(s.value)
      } catch (err) {
        expect(err, `value ${i}`).toBeInstanceOf(TypeError)
        expect(s[name], `value ${i} was refused: ${(err as Error).message}`).toBe(false)
        continue
      }
      expect(s[name], `value ${i} was encoded, but ${name} cannot carry it exactly`).toBe(true)
      expectSame(codec.decode(bytes), s.value, `value ${i}`)
      if (codec.decodeShared) expectSame(codec.decodeShared(bytes), s.value, `value ${i} (shared)`)
      carried++
    }
    expect(carried).toBeGreaterThan(1000)
  })

  it('for the edge cases, one by one', () => {
    const cases: unknown[] = [
      { ['__proto__']: { polluted: true }, b: 1 },
      JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'),
      { 0: 'a', 1: 'b', '01': 'c', '-1': 'd', 1.5: 'e' },
      ['\ud800', { '\udc00': '\ud83d' }],
      [1, 'two', [3.5, null, true]],
    ]
    for (const v of cases) expectSame(codec.decode(codec.encode(v)), v)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses with TypeError what it cannot carry', () => {
    // biome-ignore lint/suspicious/noSparseArray: an array with a hole is a case under test
    const sparse = [1, , 3]
    const refused: unknown[] = [
      () => 1,
      Symbol('s'),
      new Point(),
      new WeakMap(),
      Promise.resolve(),
      /x/,
      new Error('e'),
      { [Symbol('k')]: 1 },
      sparse,
      { f() {} },
      [Symbol('s')],
      { toJSON: () => 5 },
    ]
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    refused.push(cyclic)
    for (const v of refused) expect(() => codec.encode(v), String(typeof v)).toThrow(TypeError)
  })
})

describe('msgpack carries every listed type', () => {
  it('bigints of any size, -0, NaN, infinities, Map, Set, Date, typed arrays, undefined in containers', () => {
    const values: unknown[] = [
      2n ** 60n + 1n,
      10n,
      -(2n ** 100n),
      0n,
      -0,
      NaN,
      Infinity,
      -Infinity,
      new Map<unknown, unknown>([
        [1, 'one'],
        ['1', 'string one'],
        [2n, new Set([1])],
        [null, undefined],
        [{ k: 1 }, [1]],
        [new Date(3), 'd'],
      ]),
      new Set([1, '1', 1n, undefined, null, [1]]),
      new Date(5),
      new Date(NaN),
      new Date(-1),
      new Date(8.64e15),
      ...TYPED.map((Kind) => new Kind(4).fill(Kind === BigInt64Array || Kind === BigUint64Array ? (7n as never) : (7 as never))),
      new Float64Array([-0, NaN, Infinity, 1.5]),
      [undefined, 1],
      { a: undefined },
      Object.assign(Object.create(null) as object, { a: 1 }),
      '\ud800',
      { '\ud800': '\udfff' },
    ]
    for (const v of values) expectSame(msgpackCodec.decode(msgpackCodec.encode(v)), v)
  })

  it('nests Maps and Sets deeply, and refuses a cycle through them', () => {
    let deep: unknown = 1
    for (let i = 0; i < 120; i++) deep = i % 2 ? new Map([[i, deep]]) : new Set([deep])
    expectSame(msgpackCodec.decode(msgpackCodec.encode(deep)), deep)
    const cyclic = new Map<string, unknown>()
    cyclic.set('me', new Set([cyclic]))
    expect(() => msgpackCodec.encode(cyclic)).toThrow(TypeError)
  })

  it('reports malformed extension payloads as CodecError', () => {
    const bad = [
      [0xd4, 0x03, 0x05], // bigint: sign byte neither 0 nor 1
      [0xd5, 0x05, 0x41], // wtf-16 string: odd length
      [0xd5, 0x05, 0x41].slice(0, 2),
      [0xd6, 0x18, 1, 2, 3, 4], // Float64Array of 4 bytes
      [0xd4, 0x01, 0x01], // Map whose payload is not a map
      [0xd4, 0x02, 0x01], // Set whose payload is not an array
      [0xd5, 0x01, 0x81, 0x01], // Map payload: truncated map
      [0xc7, 0x05, 0x01, 0x82, 0x01, 0x02, 0x01, 0x03], // Map with a duplicate key
      [0xc7, 0x03, 0x02, 0x92, 0x01, 0x01], // Set with a duplicate element
      [0xd7, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], // timestamp with 2^30 - 1 nanoseconds
      [0xd4, 0x04, 0x01], // null-prototype object whose payload is not a map
    ]
    for (const bytes of bad)
      expect(() => msgpackCodec.decode(Uint8Array.from(bytes)), Buffer.from(bytes).toString('hex')).toThrow(CodecError)
  })
})
