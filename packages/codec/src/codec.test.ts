import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { type Codec, CodecError, checkMsgpack, jsonCodec, msgpackCodec, rawCodec } from './index.js'

const plain: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  2 ** 31,
  -(2 ** 40),
  1.5,
  '',
  'text \u00e9 \u{1f600}',
  [],
  [1, [2]],
  {},
  { a: { b: [null, 'x'] } },
]

describe.each([msgpackCodec, jsonCodec] as Codec[])('$id codec', (codec) => {
  it('round-trips JSON-like values', () => {
    for (const v of plain) expect(codec.decode(codec.encode(v))).toEqual(v)
  })

  it('round-trips bytes, also inside structures, as Buffers', () => {
    const v = { k: Uint8Array.of(1, 2, 3), list: [Buffer.from('ab')] }
    const back = codec.decode(codec.encode(v)) as { k: Uint8Array; list: Uint8Array[] }
    expect(Uint8Array.from(back.k)).toEqual(Uint8Array.of(1, 2, 3))
    expect(Buffer.from(back.list[0]!).toString()).toBe('ab')
  })

  it('decode gives memory the caller owns; decodeShared may share it', () => {
    const bytes = codec.encode({ k: Uint8Array.of(9) })
    const a = codec.decode(bytes) as { k: Uint8Array }
    a.k[0] = 1
    expect((codec.decode(bytes) as { k: Uint8Array }).k[0]).toBe(9)
  })

  it('refuses symbols with TypeError', () => {
    expect(() => codec.encode(Symbol('s'))).toThrow(TypeError)
  })

  it('reports malformed bytes as CodecError', () => {
    expect(() => codec.decode(Uint8Array.of(0xc1))).toThrow(CodecError)
  })
})

describe('msgpack', () => {
  it('reads standard MessagePack as msgpackr writes it', () => {
    const packr = new Packr({
      useRecords: false,
      moreTypes: false,
      structuredClone: false,
      bundleStrings: false,
      mapsAsObjects: true,
      int64AsType: 'number',
    })
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i % 3 ? 'v'.repeat(i) : i * 1.5]))
    const values: unknown[] = [
      ...plain,
      many,
      'x'.repeat(40),
      '\u00e9\u{1f600}'.repeat(30),
      'z'.repeat(70_000),
      [undefined, null],
      { d: new Date(-1) },
      new Date(2 ** 34 * 1000 + 5),
      { b: Buffer.from('bytes') },
      [1.5, -(2 ** 40), 2 ** 53 - 1, NaN, -Infinity],
      Array.from({ length: 20 }, (_, i) => ({ i })),
    ]
    for (const v of values) expect(msgpackCodec.decode(packr.pack(v))).toStrictEqual(packr.unpack(packr.pack(v)))
    // An int 64, which msgpackr writes for a bigint in the 64-bit range, reads as a bigint.
    expect(msgpackCodec.decode(packr.pack(10n))).toBe(10n)
    // A map with a key that is not a string is no object this codec writes (a Map has
    // an extension type of its own): it is refused, not read with its keys turned into strings.
    for (const key of [1, 2n ** 63n, true, null, [1]]) {
      expect(() =>
        msgpackCodec.decode(
          packr.pack(
            new Map<unknown, unknown>([
              [key, 'a'],
              ['b', 2],
            ]),
          ),
        ),
      ).toThrow(/an object key that is not a string/)
    }
  })

  it('reads every object key as written, whatever keys were read before', () => {
    for (let i = 0; i < 5000; i++) {
      const k = i.toString(36).padStart(i % 15, '~')
      expect(Object.keys(msgpackCodec.decode(msgpackCodec.encode({ [k]: 1, x: [k] })) as object)).toEqual(k === 'x' ? ['x'] : [k, 'x'])
    }
    const bytes = Buffer.from(msgpackCodec.encode({ abc: 1, s: 'x' }))
    msgpackCodec.decode(bytes)
    bytes[2] = 0x7a // the key's first byte: 'abc' becomes 'zbc'
    expect(msgpackCodec.decode(bytes)).toEqual({ zbc: 1, s: 'x' })
  })

  it('encodes a value whose getter encodes another value', () => {
    const inner = { s: 'inner', n: [1, 'x'] }
    const value = {
      a: 'before',
      get b() {
        return Buffer.from(msgpackCodec.encode(inner)).toString('hex')
      },
      c: 'after',
    }
    const back = msgpackCodec.decode(msgpackCodec.encode(value)) as { a: string; b: string; c: string }
    expect(back.a + back.c).toBe('beforeafter')
    expect(msgpackCodec.decode(Buffer.from(back.b, 'hex'))).toEqual(inner)
  })

  it('keeps bigints of any size', () => {
    expect(msgpackCodec.decode(msgpackCodec.encode(2n ** 80n))).toBe(2n ** 80n)
  })

  it('keeps Date and refuses every other extension, on both sides', () => {
    expect(msgpackCodec.decode(msgpackCodec.encode(new Date(5)))).toEqual(new Date(5))
    expect(() => msgpackCodec.decode(Uint8Array.of(0xd4, 0x65, 0x00))).toThrow(CodecError) // Error
    expect(() => msgpackCodec.decode(Uint8Array.of(0xd4, 0x72, 0x40))).toThrow(CodecError) // record definition
    expect(() => msgpackCodec.decode(Uint8Array.of(0xc7, 0x03, 0x78, 0x92, 0xa1, 0x61))).toThrow(CodecError) // RegExp
  })

  it('refuses lying lengths, deep nesting and trailing bytes before decoding', () => {
    expect(() => checkMsgpack(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff))).toThrow(CodecError)
    expect(() => checkMsgpack(Uint8Array.of(0xdb, 0xff, 0xff, 0xff, 0xff, 0x61))).toThrow(CodecError)
    expect(() => checkMsgpack(new Uint8Array(1000).fill(0x91))).toThrow(CodecError)
    expect(() => checkMsgpack(Uint8Array.of(0x90, 0x90))).toThrow(CodecError)
    expect(() => checkMsgpack(msgpackCodec.encode({ fine: [1, 'two', 3.5, null] }))).not.toThrow()
  })

  it('does not let a __proto__ key pollute prototypes', () => {
    const v = msgpackCodec.decode(Uint8Array.of(0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa1, 0x70, 0xc3)) as Record<string, unknown>
    expect(({} as Record<string, unknown>).p).toBeUndefined()
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
  })
})

describe('json', () => {
  it('refuses bigints with TypeError', () => {
    expect(() => jsonCodec.encode(2n ** 80n)).toThrow(TypeError)
  })

  it('stores a Buffer as tagged bytes, not as {type, data}', () => {
    const text = Buffer.from(jsonCodec.encode({ b: Buffer.from('hi') })).toString()
    expect(text).toBe('{"b":{"$dbdb:bytes":"aGk="}}')
  })

  it('reserves its tag', () => {
    expect(() => jsonCodec.encode({ '$dbdb:bytes': 'x' })).toThrow(TypeError)
  })
})

describe('raw', () => {
  it('stores Uint8Array only, copying both ways', () => {
    const v = Uint8Array.of(1, 2)
    const enc = rawCodec.encode(v)
    v[0] = 9
    expect([...enc]).toEqual([1, 2])
    const dec = rawCodec.decode(enc)
    dec[1] = 7
    expect([...enc]).toEqual([1, 2])
    expect(() => rawCodec.encode('text' as never)).toThrow(TypeError)
  })
})
