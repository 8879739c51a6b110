// The msgpack codec's general encoder, for every value its fast path (msgpack-simple)
// leaves to it. It writes only what it can read back exactly and throws a TypeError
// for anything else, before a byte is kept: values are stored, not serialized on a
// best-effort basis. JSON-like values, binary and Date are written as msgpackr writes
// them (float 64 past 32-bit integers, the standard timestamp), except that objects
// get the shortest map header where msgpackr uses map 16; what msgpackr writes for
// them reads back the same. What only this codec carries uses its own extension types.

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
} from './msgpack-types.js'

/**
 * Containers (and extensions holding one) nested deeper than this are refused:
 * the structural check before decoding allows 512, and a cyclic value ends here
 * instead of in a stack overflow.
 */
export const MAX_ENCODE_DEPTH = 500

const TYPED_BY_PROTOTYPE = new Map<object, number>(TYPED_ARRAYS.map(([type, Kind]) => [Kind.prototype, type]))
const INT64_MIN = -(2n ** 63n)
const INT64_END = 2n ** 63n
const UINT64_END = 2n ** 64n

// One growing buffer, reused across calls; results are copied out of it. A getter
// of the value being encoded may call encode again: that call gets its own buffer.
const SCRATCH_BYTES = 8192
let out: Buffer = Buffer.allocUnsafeSlow(SCRATCH_BYTES)
let view: DataView = new DataView(out.buffer, out.byteOffset, out.byteLength)
let pos = 0
let busy = false

/** `value` as MessagePack; TypeError for anything this codec cannot read back exactly. */
export function encodeGeneral(value: unknown): Uint8Array {
  const outer = busy ? { out, view, pos } : undefined
  if (outer) setBuffer(Buffer.allocUnsafe(256))
  busy = true
  pos = 0
  try {
    write(value, 0)
    const result = Buffer.allocUnsafe(pos)
    result.set(out.subarray(0, pos))
    return result
  } finally {
    if (outer) {
      setBuffer(outer.out)
      pos = outer.pos
    } else {
      busy = false
      // Do not keep a large value's buffer alive.
      if (out.length > 1 << 20) setBuffer(Buffer.allocUnsafeSlow(SCRATCH_BYTES))
    }
  }
}

function setBuffer(b: Buffer): void {
  out = b
  view = new DataView(b.buffer, b.byteOffset, b.byteLength)
}

function ensure(n: number): void {
  if (pos + n <= out.length) return
  const grown = Buffer.allocUnsafeSlow(Math.max(out.length * 2, pos + n))
  out.copy(grown, 0, 0, pos)
  setBuffer(grown)
}

function refuse(what: string): never {
  throw new TypeError(`the msgpack codec cannot store ${what} (it would not read back as it was)`)
}

function describe(v: object): string {
  const proto: unknown = Object.getPrototypeOf(v)
  const name = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a custom prototype'
}

function write(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'number':
      return writeNumber(v)
    case 'string':
      return writeString(v)
    case 'boolean':
      ensure(1)
      out[pos++] = v ? 0xc3 : 0xc2
      return
    case 'undefined':
      ensure(3)
      out[pos++] = 0xd4
      out[pos++] = EXT_UNDEFINED
      out[pos++] = 0
      return
    case 'bigint':
      return writeBigInt(v)
    case 'object':
      if (v === null) {
        ensure(1)
        out[pos++] = 0xc0
        return
      }
      return writeObject(v, depth)
    default:
      refuse(`a ${typeof v}`)
  }
}

function writeNumber(v: number): void {
  ensure(9)
  if (v >>> 0 === v && !(v === 0 && 1 / v < 0)) {
    if (v < 0x80) out[pos++] = v
    else if (v < 0x100) {
      out[pos++] = 0xcc
      out[pos++] = v
    } else if (v < 0x10000) {
      out[pos++] = 0xcd
      view.setUint16(pos, v)
      pos += 2
    } else {
      out[pos++] = 0xce
      view.setUint32(pos, v)
      pos += 4
    }
  } else if (v >> 0 === v && v !== 0) {
    if (v >= -0x20) out[pos++] = 0x100 + v
    else if (v >= -0x80) {
      out[pos++] = 0xd0
      view.setInt8(pos++, v)
    } else if (v >= -0x8000) {
      out[pos++] = 0xd1
      view.setInt16(pos, v)
      pos += 2
    } else {
      out[pos++] = 0xd2
      view.setInt32(pos, v)
      pos += 4
    }
  } else {
    // Also -0, NaN and the infinities.
    out[pos++] = 0xcb
    view.setFloat64(pos, v)
    pos += 8
  }
}

function writeString(s: string): void {
  const n = s.length
  if (n < 0x40) {
    // Short ASCII strings (most object keys) byte by byte, without a call into C++.
    const h = n < 0x20 ? 1 : 2
    ensure(h + n)
    const at = pos + h
    let i = 0
    for (; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) break
      out[at + i] = c
    }
    if (i === n) {
      if (h === 1) out[pos] = 0xa0 | n
      else {
        out[pos] = 0xd9
        out[pos + 1] = n
      }
      pos = at + n
      return
    }
  }
  if (!s.isWellFormed()) {
    // UTF-8 would turn a lone surrogate into U+FFFD: keep the code units instead.
    writeExtHeader(EXT_STRING16, n * 2)
    ensure(n * 2)
    pos += out.write(s, pos, n * 2, 'utf16le')
    return
  }
  const len = Buffer.byteLength(s, 'utf8')
  ensure(5 + len)
  if (len < 0x20) out[pos++] = 0xa0 | len
  else if (len < 0x100) {
    out[pos++] = 0xd9
    out[pos++] = len
  } else if (len < 0x10000) {
    out[pos++] = 0xda
    view.setUint16(pos, len)
    pos += 2
  } else {
    out[pos++] = 0xdb
    view.setUint32(pos, len)
    pos += 4
  }
  pos += out.write(s, pos, len, 'utf8')
}

function writeBigInt(v: bigint): void {
  if (v >= INT64_MIN && v < UINT64_END) {
    // int 64 or uint 64, as msgpackr writes them, and read back as BigInt.
    ensure(9)
    if (v < INT64_END) {
      out[pos++] = 0xd3
      view.setBigInt64(pos, v)
    } else {
      out[pos++] = 0xcf
      view.setBigUint64(pos, v)
    }
    pos += 8
    return
  }
  const negative = v < 0n
  let hex = (negative ? -v : v).toString(16)
  if (hex.length % 2 === 1) hex = `0${hex}`
  const len = 1 + hex.length / 2
  writeExtHeader(EXT_BIGINT, len)
  ensure(len)
  out[pos++] = negative ? 1 : 0
  pos += out.write(hex, pos, len - 1, 'hex')
}

function writeObject(v: object, depth: number): void {
  if (v instanceof Uint8Array) return writeBin(v)
  if (depth >= MAX_ENCODE_DEPTH) refuse(`a value nested deeper than ${MAX_ENCODE_DEPTH} levels, or a cyclic one`)
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) refuse(describe(v))
    const n = v.length
    writeArrayHeader(n)
    for (let i = 0; i < n; i++) {
      const item: unknown = v[i]
      if (item === undefined && !(i in v)) refuse('an array with holes')
      write(item, depth + 1)
    }
    return
  }
  const proto: unknown = Object.getPrototypeOf(v)
  if (proto === Object.prototype) return writeFields(v, depth)
  if (proto === null) {
    const at = beginNested()
    writeFields(v, depth + 1)
    return endNested(at, EXT_NULL_OBJECT)
  }
  if (proto === Map.prototype) {
    const map = v as Map<unknown, unknown>
    const at = beginNested()
    writeMapHeader(map.size)
    let n = 0
    for (const [key, item] of map) {
      write(key, depth + 2)
      write(item, depth + 2)
      n++
    }
    if (n !== map.size) refuse('a Map that changed while it was stored')
    return endNested(at, EXT_MAP)
  }
  if (proto === Set.prototype) {
    const set = v as Set<unknown>
    const at = beginNested()
    writeArrayHeader(set.size)
    let n = 0
    for (const item of set) {
      write(item, depth + 2)
      n++
    }
    if (n !== set.size) refuse('a Set that changed while it was stored')
    return endNested(at, EXT_SET)
  }
  if (proto === Date.prototype) return writeDate(v as Date)
  const typed = TYPED_BY_PROTOTYPE.get(proto as object)
  if (typed !== undefined) return writeTyped(v as ArrayBufferView, typed)
  refuse(describe(v))
}

/** A plain or prototype-less object: its own enumerable string keys (symbol keys are refused). */
function writeFields(v: object, depth: number): void {
  if (Object.getOwnPropertySymbols(v).length > 0) refuse('an object with symbol keys')
  const keys = Object.keys(v)
  writeMapHeader(keys.length)
  for (const key of keys) {
    writeString(key)
    write((v as Record<string, unknown>)[key], depth + 1)
  }
}

function writeBin(v: Uint8Array): void {
  const n = v.length
  ensure(5 + n)
  if (n < 0x100) {
    out[pos++] = 0xc4
    out[pos++] = n
  } else if (n < 0x10000) {
    out[pos++] = 0xc5
    view.setUint16(pos, n)
    pos += 2
  } else {
    out[pos++] = 0xc6
    view.setUint32(pos, n)
    pos += 4
  }
  out.set(v, pos)
  pos += n
}

function writeTyped(v: ArrayBufferView, type: number): void {
  const n = v.byteLength
  writeExtHeader(type, n)
  ensure(n)
  const bytes = out.subarray(pos, pos + n)
  bytes.set(new Uint8Array(v.buffer, v.byteOffset, n))
  if (!LITTLE_ENDIAN) swapElements(bytes, (v as Int8Array).BYTES_PER_ELEMENT)
  pos += n
}

function writeDate(d: Date): void {
  const time = d.getTime()
  ensure(15)
  if (Number.isNaN(time)) {
    // msgpackr's invalid Date: a timestamp with a 1-byte payload.
    out[pos++] = 0xd4
    out[pos++] = EXT_TIMESTAMP & 0xff
    out[pos++] = 0xff
    return
  }
  const seconds = Math.floor(time / 1000)
  const ms = time - seconds * 1000
  if (ms === 0 && seconds >= 0 && seconds < 0x100000000) {
    out[pos++] = 0xd6
    out[pos++] = 0xff
    view.setUint32(pos, seconds)
    pos += 4
  } else if (seconds >= 0 && seconds < 0x400000000) {
    out[pos++] = 0xd7
    out[pos++] = 0xff
    view.setUint32(pos, ms * 4000000 + Math.floor(seconds / 0x100000000))
    view.setUint32(pos + 4, seconds >>> 0)
    pos += 8
  } else {
    out[pos++] = 0xc7
    out[pos++] = 12
    out[pos++] = 0xff
    view.setUint32(pos, ms * 1000000)
    view.setBigInt64(pos + 4, BigInt(seconds))
    pos += 12
  }
}

function writeArrayHeader(n: number): void {
  writeContainerHeader(n, 0x90, 0xdc)
}

function writeMapHeader(n: number): void {
  writeContainerHeader(n, 0x80, 0xde)
}

/** fix (`fix | n`), 16-bit (`code16`) or 32-bit (`code16 + 1`) header of an array or map of `n` items. */
function writeContainerHeader(n: number, fix: number, code16: number): void {
  ensure(5)
  if (n < 16) out[pos++] = fix | n
  else if (n < 0x10000) {
    out[pos++] = code16
    view.setUint16(pos, n)
    pos += 2
  } else {
    out[pos++] = code16 + 1
    view.setUint32(pos, n)
    pos += 4
  }
}

/** The header of an extension of `type` with `len` payload bytes, in its shortest form. */
function writeExtHeader(type: number, len: number): void {
  ensure(6)
  const t = type & 0xff
  const fixed = len === 1 ? 0xd4 : len === 2 ? 0xd5 : len === 4 ? 0xd6 : len === 8 ? 0xd7 : len === 16 ? 0xd8 : 0
  if (fixed !== 0) out[pos++] = fixed
  else if (len < 0x100) {
    out[pos++] = 0xc7
    out[pos++] = len
  } else if (len < 0x10000) {
    out[pos++] = 0xc8
    view.setUint16(pos, len)
    pos += 2
  } else {
    out[pos++] = 0xc9
    view.setUint32(pos, len)
    pos += 4
  }
  out[pos++] = t
}

// A nested extension's payload is written first, after room for the longest header
// (6 bytes); endNested then writes the shortest header and moves the payload up to it.
function beginNested(): number {
  ensure(6)
  pos += 6
  return pos - 6
}

function endNested(at: number, type: number): void {
  const payload = at + 6
  const len = pos - payload
  pos = at
  writeExtHeader(type, len)
  out.copyWithin(pos, payload, payload + len)
  pos += len
}
