// The msgpack codec's general decoder, for bytes checkMsgpack has passed (so lengths
// and nesting are in bounds, and only the codec's own extension types occur). It
// builds plain data and the few built-in types the codec carries, nothing the
// bytes name: objects get Object.prototype (or none), whatever their keys, so a
// "__proto__" key is an own property and never a prototype. A payload that is not
// what its extension type requires is a CodecError.

import { CodecError } from './codec.js'
import {
  EXT_BIGINT,
  EXT_MAP,
  EXT_NULL_OBJECT,
  EXT_SET,
  EXT_STRING16,
  EXT_TIMESTAMP,
  EXT_UNDEFINED,
  LITTLE_ENDIAN,
  swapElements,
  TYPED_ARRAYS,
  type TypedArrayConstructor,
} from './msgpack-types.js'

const TYPED_BY_TYPE = new Map<number, TypedArrayConstructor>(TYPED_ARRAYS.map(([type, Kind]) => [type, Kind]))
/** Date's range, in ms either side of the epoch. */
const MAX_TIME = 8.64e15

let src: Buffer = Buffer.alloc(0)
let pos = 0
let share = false

/** One value from `bytes`, which checkMsgpack accepted. Binary is a view of `bytes` when `shared`, else a copy. */
export function decodeGeneral(bytes: Uint8Array, shared: boolean): unknown {
  src = bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  pos = 0
  share = shared
  try {
    const value = read()
    if (pos !== src.length) throw new CodecError(`malformed MessagePack: ${src.length - pos} bytes after the value`)
    return value
  } catch (err) {
    if (err instanceof CodecError) throw err
    throw new CodecError(`malformed MessagePack: ${(err as Error).message}`, { cause: err })
  } finally {
    src = EMPTY
  }
}

const EMPTY = Buffer.alloc(0)

function malformed(why: string, at = pos): never {
  throw new CodecError(`malformed MessagePack at byte ${at}: ${why}`)
}

function read(): unknown {
  const t = src[pos++]!
  if (t < 0x80) return t
  if (t >= 0xe0) return t - 0x100
  if (t < 0x90) return readObject(t & 0x0f, {})
  if (t < 0xa0) return readArray(t & 0x0f)
  if (t < 0xc0) return readString(t & 0x1f)
  let v: number
  switch (t) {
    case 0xc0:
      return null
    case 0xc2:
      return false
    case 0xc3:
      return true
    case 0xc4:
      return readBin(src[pos++]!)
    case 0xc5:
      v = src.readUint16BE(pos)
      pos += 2
      return readBin(v)
    case 0xc6:
      v = src.readUint32BE(pos)
      pos += 4
      return readBin(v)
    case 0xc7:
      return readExt(src[pos++]!)
    case 0xc8:
      v = src.readUint16BE(pos)
      pos += 2
      return readExt(v)
    case 0xc9:
      v = src.readUint32BE(pos)
      pos += 4
      return readExt(v)
    case 0xca:
      v = src.readFloatBE(pos)
      pos += 4
      return v
    case 0xcb:
      v = src.readDoubleBE(pos)
      pos += 8
      return v
    case 0xcc:
      return src[pos++]!
    case 0xcd:
      v = src.readUint16BE(pos)
      pos += 2
      return v
    case 0xce:
      v = src.readUint32BE(pos)
      pos += 4
      return v
    case 0xcf: {
      // The codec writes numbers as float 64 past 32 bits: int 64 and uint 64 are BigInts.
      const b = src.readBigUint64BE(pos)
      pos += 8
      return b
    }
    case 0xd0:
      return src.readInt8(pos++)
    case 0xd1:
      v = src.readInt16BE(pos)
      pos += 2
      return v
    case 0xd2:
      v = src.readInt32BE(pos)
      pos += 4
      return v
    case 0xd3: {
      const b = src.readBigInt64BE(pos)
      pos += 8
      return b
    }
    case 0xd4:
      return readExt(1)
    case 0xd5:
      return readExt(2)
    case 0xd6:
      return readExt(4)
    case 0xd7:
      return readExt(8)
    case 0xd8:
      return readExt(16)
    case 0xd9:
      return readString(src[pos++]!)
    case 0xda:
      v = src.readUint16BE(pos)
      pos += 2
      return readString(v)
    case 0xdb:
      v = src.readUint32BE(pos)
      pos += 4
      return readString(v)
    case 0xdc:
      v = src.readUint16BE(pos)
      pos += 2
      return readArray(v)
    case 0xdd:
      v = src.readUint32BE(pos)
      pos += 4
      return readArray(v)
    case 0xde:
      v = src.readUint16BE(pos)
      pos += 2
      return readObject(v, {})
    case 0xdf:
      v = src.readUint32BE(pos)
      pos += 4
      return readObject(v, {})
    default:
      return malformed(`type byte 0x${t.toString(16)}`, pos - 1)
  }
}

function readString(n: number): string {
  const start = pos
  const end = pos + n
  pos = end
  if (end > src.length) malformed('string runs past the end', start)
  if (n < 16) {
    // Short ASCII strings (most object keys) without a call into C++.
    let s = ''
    for (let i = start; i < end; i++) {
      const c = src[i]!
      if (c >= 0x80) return src.toString('utf8', start, end)
      s += String.fromCharCode(c)
    }
    return s
  }
  return src.toString('utf8', start, end)
}

function readBin(n: number): Uint8Array {
  const start = pos
  pos += n
  if (pos > src.length) malformed('binary runs past the end', start)
  if (share) return src.subarray(start, pos)
  const copy = Buffer.allocUnsafe(n)
  src.copy(copy, 0, start, pos)
  return copy
}

function readArray(n: number): unknown[] {
  const out = new Array<unknown>(n)
  for (let i = 0; i < n; i++) out[i] = read()
  return out
}

/** A map's entries into `obj` (a plain or prototype-less object) as own data properties. */
function readObject(n: number, obj: Record<string, unknown>): Record<string, unknown> {
  for (let i = 0; i < n; i++) {
    const t = src[pos]!
    const key = t >= 0xa0 && t <= 0xaf ? readKey(t & 0x0f) : read()
    // Objects are written with string keys; a Map has an extension type of its own.
    if (typeof key !== 'string') malformed('an object key that is not a string')
    const value = read()
    if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
    else obj[key] = value
  }
  return obj
}

// Object keys repeat (arrays of records): a key read before comes back as the same
// string, which V8 then finds as a property name without hashing it again, where a
// freshly built string is hashed anew for every object it keys.
interface CachedKey {
  readonly bytes: Uint8Array
  readonly key: string
}
const keyCache: (CachedKey | undefined)[] = new Array<CachedKey | undefined>(4096)

/** A fixstr key of `n` (< 16) bytes after the type byte at pos. */
function readKey(n: number): string {
  const start = pos + 1
  const end = start + n
  if (end > src.length) malformed('string runs past the end', start)
  const h = n === 0 ? 0 : ((n << 8) ^ (src[start]! << 4) ^ src[end - 1]! ^ (src[start + (n >> 1)]! << 2)) & 0xfff
  const cached = keyCache[h]
  if (cached !== undefined && cached.bytes.length === n) {
    const bytes = cached.bytes
    let i = 0
    while (i < n && bytes[i] === src[start + i]) i++
    if (i === n) {
      pos = end
      return cached.key
    }
  }
  pos = start
  const key = readString(n)
  // A copy: a view would keep the input alive, and it may change after decoding.
  keyCache[h] = { bytes: Uint8Array.prototype.slice.call(src, start, end), key }
  return key
}

/** The count of a map (`map`) or array header at pos, which the extension's payload must start with. */
function nestedHeader(map: boolean, type: string): number {
  const t = src[pos++]!
  if (map && t >= 0x80 && t <= 0x8f) return t & 0x0f
  if (!map && t >= 0x90 && t <= 0x9f) return t & 0x0f
  const n = t === (map ? 0xde : 0xdc) ? src.readUint16BE(pos) : t === (map ? 0xdf : 0xdd) ? src.readUint32BE(pos) : -1
  if (n < 0) malformed(`the payload of a ${type} is not ${map ? 'a map' : 'an array'}`, pos - 1)
  pos += t === 0xde || t === 0xdc ? 2 : 4
  return n
}

function readExt(len: number): unknown {
  const type = src.readInt8(pos++)
  const start = pos
  const end = start + len
  if (end > src.length) malformed('extension runs past the end', start)
  let value: unknown
  switch (type) {
    case EXT_UNDEFINED:
      if (len !== 1) malformed('undefined with a payload', start)
      pos = end
      return undefined
    case EXT_TIMESTAMP:
      value = readTimestamp(start, len)
      pos = end
      return value
    case EXT_MAP: {
      const n = nestedHeader(true, 'Map')
      const map = new Map<unknown, unknown>()
      for (let i = 0; i < n; i++) {
        const key = read()
        map.set(key, read())
      }
      if (map.size !== n) malformed('a Map with a duplicate key', start)
      value = map
      break
    }
    case EXT_SET: {
      const n = nestedHeader(false, 'Set')
      const set = new Set<unknown>()
      for (let i = 0; i < n; i++) set.add(read())
      if (set.size !== n) malformed('a Set with a duplicate element', start)
      value = set
      break
    }
    case EXT_NULL_OBJECT:
      value = readObject(nestedHeader(true, 'prototype-less object'), Object.create(null) as Record<string, unknown>)
      break
    case EXT_BIGINT: {
      const sign = src[start]
      if (len < 1 || (sign !== 0 && sign !== 1)) malformed('a BigInt without its sign byte', start)
      const magnitude = len === 1 ? 0n : BigInt(`0x${src.toString('hex', start + 1, end)}`)
      if (sign === 1 && magnitude === 0n) malformed('a BigInt of -0', start)
      pos = end
      return sign === 1 ? -magnitude : magnitude
    }
    case EXT_STRING16:
      if (len % 2 !== 0) malformed('UTF-16 text of an odd length', start)
      pos = end
      return src.toString('utf16le', start, end)
    default: {
      const Kind = TYPED_BY_TYPE.get(type)
      if (Kind === undefined) malformed(`extension type ${type}`, start - 1)
      if (len % Kind.BYTES_PER_ELEMENT !== 0) malformed(`a ${Kind.name} of ${len} bytes`, start)
      // A fresh, aligned buffer: a view of the input could be misaligned, and is never shared.
      const buffer = new ArrayBuffer(len)
      const bytes = new Uint8Array(buffer)
      bytes.set(src.subarray(start, end))
      if (!LITTLE_ENDIAN) swapElements(bytes, Kind.BYTES_PER_ELEMENT)
      pos = end
      return new Kind(buffer)
    }
  }
  if (pos !== end) malformed('bytes after the value in an extension payload', pos)
  return value
}

function readTimestamp(start: number, len: number): Date {
  let seconds: number
  let ns: number
  if (len === 1) {
    if (src[start] !== 0xff) malformed('a 1-byte timestamp other than the invalid Date', start)
    return new Date(NaN)
  } else if (len === 4) {
    seconds = src.readUint32BE(start)
    ns = 0
  } else if (len === 8) {
    const high = src.readUint32BE(start)
    ns = high >>> 2
    seconds = (high & 3) * 0x100000000 + src.readUint32BE(start + 4)
  } else if (len === 12) {
    ns = src.readUint32BE(start)
    seconds = Number(src.readBigInt64BE(start + 4))
  } else return malformed(`a timestamp of ${len} bytes`, start)
  if (ns > 999_999_999) malformed('a timestamp with more than a second of nanoseconds', start)
  const time = seconds * 1000 + Math.floor(ns / 1e6)
  if (!(Math.abs(time) <= MAX_TIME)) malformed('a timestamp outside the range of Date', start)
  return new Date(time)
}
