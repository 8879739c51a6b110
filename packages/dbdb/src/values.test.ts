// A value either reads back exactly as it was set (type and value), or set() refuses
// it with the codec's TypeError and stores nothing: through open() on a real file,
// before and after commit and reopen, for both value codecs.
import { describe, expect, it } from 'vitest'
import { open } from './index.js'
import { tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()

/** Throws unless `got` is `want` exactly: types, prototypes, own keys in order, Object.is for numbers. */
function expectSame(got: unknown, want: unknown, path = 'value'): void {
  const fail = (why: string): never => {
    throw new Error(`${path}: ${why}`)
  }
  if (typeof got !== typeof want) fail(`${typeof got} instead of ${typeof want}`)
  if (typeof want !== 'object' || want === null) {
    if (!Object.is(got, want)) fail(`${String(got)} instead of ${String(want)}`)
    return
  }
  const g = got as object
  // Bytes come back as Buffer (documented); everything else with its own prototype.
  const proto: unknown = want instanceof Uint8Array ? Buffer.prototype : Object.getPrototypeOf(want)
  if (Object.getPrototypeOf(g) !== proto) fail('a different prototype')
  if (ArrayBuffer.isView(want)) {
    const v = g as ArrayBufferView
    if (!Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)))
      fail('different bytes')
    return
  }
  if (want instanceof Date) return expectSame((g as Date).getTime(), want.getTime(), `${path}.time`)
  if (want instanceof Set) return expectSame([...(g as Set<unknown>)], [...want], path)
  if (want instanceof Map) {
    return expectSame([...(g as Map<unknown, unknown>)].flat(), [...want].flat(), path)
  }
  const keys = (o: object) => Reflect.ownKeys(o).map(String)
  expect(keys(g), path).toEqual(keys(want))
  for (const k of Reflect.ownKeys(want)) {
    if (k === 'length' && Array.isArray(want)) continue
    expectSame(Object.getOwnPropertyDescriptor(g, k)?.value, (want as Record<PropertyKey, unknown>)[k], `${path}.${String(k)}`)
  }
}

const ownProto = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 2, "0": 3}') as object

/** What both codecs carry. */
const common: [string, unknown][] = [
  ['string', 'text \u00e9 \u{1f600}'],
  ['lone surrogates', ['\ud800', '\udfff', { '\ud83d': 'x' }]],
  ['own __proto__ key', ownProto],
  ['numeric-like keys', { 1: 'a', '01': 'b', '-1': 'c', '1.5': 'd' }],
  ['bytes', { b: Buffer.from('bytes'), u: Uint8Array.of(1, 2) }],
  ['nested', { a: [1, 2.5, null, true, { b: ['c'] }] }],
]

/** What only msgpack carries. */
const msgpackOnly: [string, unknown][] = [
  ['bigint past 2^53', 2n ** 60n + 1n],
  ['small bigint', 10n],
  ['huge negative bigint', -(2n ** 200n) - 3n],
  ['-0', -0],
  ['NaN and infinities', [NaN, Infinity, -Infinity, -0]],
  [
    'Map',
    new Map<unknown, unknown>([
      [1, 'one'],
      ['1', 'string'],
      [{ k: 1 }, new Set([2n])],
    ]),
  ],
  ['Set', new Set([1, '1', null, undefined, [2]])],
  ['Date', new Date(1_700_000_000_123)],
  ['invalid Date', new Date(NaN)],
  ['typed arrays', [new Float64Array([1.5, -0, NaN]), new Int16Array([-1, 2]), new BigInt64Array([-5n]), new Uint8ClampedArray([255])]],
  ['undefined in containers', { a: undefined, list: [undefined, 1] }],
  ['prototype-less object', Object.assign(Object.create(null) as object, { a: 1 })],
]

class Point {
  x = 1
}

/** What neither codec carries. */
const refused: [string, unknown][] = [
  ['function', () => 1],
  ['symbol', Symbol('s')],
  ['class instance', new Point()],
  ['WeakMap', new WeakMap()],
  ['Promise', Promise.resolve(1)],
  ['function property', { f: () => 1 }],
  [
    'cyclic',
    (() => {
      const o: Record<string, unknown> = {}
      o.self = o
      return o
    })(),
  ],
]

describe.each(['msgpack', 'json'] as const)('%s values through open()', (codec) => {
  const carried = codec === 'msgpack' ? [...common, ...msgpackOnly] : common
  const refusedHere = codec === 'msgpack' ? refused : [...refused, ...msgpackOnly]

  it('reads back exactly as set: uncommitted, committed, and after reopening', () => {
    const file = tempFile(dir)
    let db = open(file, { codec, durability: 'none' })
    for (const [name, value] of carried) db.set(name, value)
    for (const [name, value] of carried) expectSame(db.get(name), value, `${name} (uncommitted)`)
    db.commit()
    db.close()
    db = open(file)
    for (const [name, value] of carried) expectSame(db.get(name), value, `${name} (reopened)`)
    for (const [name, value] of db.entries()) expectSame(value, carried.find(([n]) => n === name)![1], `${name} (entries)`)
    db.close()
  })

  it('gives get() callers a value of their own to change', () => {
    const file = tempFile(dir)
    const db = open(file, { codec, durability: 'none' })
    const value =
      codec === 'msgpack'
        ? { list: [1], bytes: Buffer.from('ab'), map: new Map([[1, 1]]), floats: new Float64Array([1]) }
        : { list: [1], bytes: Buffer.from('ab') }
    db.set('k', value)
    db.commit()
    const first = db.get('k') as typeof value & { map?: Map<number, number>; floats?: Float64Array }
    first.list.push(2)
    first.bytes[0] = 0
    first.map?.set(2, 2)
    if (first.floats) first.floats[0] = 9
    expectSame(db.get('k'), value)
    db.close()
  })

  it('refuses what it cannot carry with the codec TypeError, at set(), storing nothing', () => {
    const file = tempFile(dir)
    const db = open(file, { codec, durability: 'none' })
    db.set('kept', 1)
    db.commit()
    for (const [name, value] of refusedHere) {
      expect(() => db.set(name, value), name).toThrow(TypeError)
      expect(() => db.set(name, value), name).toThrow(new RegExp(`${codec} codec`))
      expect(db.has(name), name).toBe(false)
    }
    expect(() => db.set('undefined', undefined)).toThrow(TypeError)
    expect(db.has('undefined')).toBe(false)
    // Nothing was begun: there is nothing to commit, and the file holds what it held.
    expect(db.commit()).toBeUndefined()
    expect([...db.keys()]).toEqual(['kept'])
    db.close()
    const again = open(file)
    expect([...again.keys()]).toEqual(['kept'])
    again.close()
  })
})

describe('a stored value that does not decode', () => {
  it('is DBDB_CORRUPT from get, entries and values, with the codec error as cause', () => {
    const failing = {
      id: 'fails-to-decode',
      encode: (v: unknown) => new TextEncoder().encode(String(v)),
      decode: (): never => {
        throw new Error('bad bytes')
      },
    }
    const db = open(tempFile(dir, 'undecodable.db'), { valueCodec: failing })
    db.set('k', 'v')
    db.commit()
    for (const read of [() => db.get('k'), () => [...db.entries()], () => [...db.values()]]) {
      expect(read).toThrow(expect.objectContaining({ code: 'DBDB_CORRUPT', cause: expect.objectContaining({ message: 'bad bytes' }) }))
    }
    expect([...db.keys()]).toEqual(['k'])
    db.close()
  })
})
