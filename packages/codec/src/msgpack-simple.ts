// A fast path of the msgpack codec for values made only of arrays, numbers and byte
// strings, which is all a tree node is. Nodes are most of what the codec carries, and
// a general coder spends its time on what they never hold: dispatching on every type,
// the structural check before decoding, and, in a new process, compiling its large
// functions before the first read. Output is byte for byte what the general encoder
// (and msgpackr, useRecords off) writes for the same value: the two paths are
// interchangeable in files.
// Anything else (strings, maps, booleans, extensions) goes to the general encoder
// and decoder (msgpack-encode, msgpack-decode).

import { CodecError } from './codec.js'

/** Deeper values are left to the general path, which the structural check allows to 512 levels. */
const MAX_DEPTH = 64

// ---- encoding ----

/** `value` as MessagePack, or undefined when it holds anything but arrays, numbers and Uint8Arrays. */
export function encodeSimple(value: unknown): Uint8Array | undefined {
  const size = sizeOf(value, 0)
  if (size < 0) return undefined
  // Results are carved from a shared arena, never reused (as msgpackr does): a fresh
  // ArrayBuffer per node costs more than the encoding itself.
  if (size > arena.length - used) {
    arena = Buffer.allocUnsafeSlow(Math.max(ARENA_BYTES, size))
    used = 0
  }
  const start = used
  const end = write(arena, start, value)
  if (end !== start + size) throw new Error(`msgpack: wrote ${end - start} bytes of ${size}`)
  used = end
  return arena.subarray(start, end)
}

const ARENA_BYTES = 64 * 1024
let arena = Buffer.alloc(0)
let used = 0

/** Bytes of `v` (an unsigned 32-bit integer) as writeUint writes it. */
function uintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5
}

function sizeOf(v: unknown, depth: number): number {
  if (typeof v === 'number') {
    // -0 passes both integer tests; it is written as float 64, as NaN and fractions are.
    if (v >>> 0 === v && (v !== 0 || 1 / v > 0)) return uintSize(v)
    if (v >> 0 === v && v !== 0) return v >= -0x20 ? 1 : v >= -0x80 ? 2 : v >= -0x8000 ? 3 : 5
    return 9
  }
  if (v instanceof Uint8Array) {
    const n = v.length
    return n + (n < 0x100 ? 2 : n < 0x10000 ? 3 : 5)
  }
  // Not an Array subclass: the general encoder refuses those.
  if (Array.isArray(v) && depth < MAX_DEPTH && Object.getPrototypeOf(v) === Array.prototype) {
    const n = v.length
    let size = n < 16 ? 1 : n < 0x10000 ? 3 : 5
    for (let i = 0; i < n; i++) {
      const item: unknown = v[i]
      // Unsigned integers inline: a branch is mostly arrays of addresses and counts.
      if (typeof item === 'number' && item >>> 0 === item && (item !== 0 || 1 / item > 0)) {
        size += uintSize(item)
        continue
      }
      const s = sizeOf(item, depth + 1)
      if (s < 0) return -1
      size += s
    }
    return size
  }
  return -1
}

/** `v` (an unsigned 32-bit integer) at `p`; returns the end. */
function writeUint(out: Buffer, p: number, v: number): number {
  if (v < 0x80) out[p++] = v
  else if (v < 0x100) {
    out[p++] = 0xcc
    out[p++] = v
  } else if (v < 0x10000) {
    out[p++] = 0xcd
    out[p++] = v >>> 8
    out[p++] = v & 0xff
  } else {
    // Byte by byte: Buffer#writeUInt32BE validates its arguments, which cost more
    // than the write for a branch's many child addresses.
    out[p++] = 0xce
    out[p++] = v >>> 24
    out[p++] = (v >>> 16) & 0xff
    out[p++] = (v >>> 8) & 0xff
    out[p++] = v & 0xff
  }
  return p
}

function write(out: Buffer, p: number, v: unknown): number {
  if (typeof v === 'number') {
    if (v >>> 0 === v && (v !== 0 || 1 / v > 0)) p = writeUint(out, p, v)
    else if (v >> 0 === v && v !== 0) {
      if (v >= -0x20) out[p++] = 0x100 + v
      else if (v >= -0x80) {
        out[p++] = 0xd0
        p = out.writeInt8(v, p)
      } else if (v >= -0x8000) {
        out[p++] = 0xd1
        p = out.writeInt16BE(v, p)
      } else {
        out[p++] = 0xd2
        p = out.writeInt32BE(v, p)
      }
    } else {
      out[p++] = 0xcb
      p = out.writeDoubleBE(v, p)
    }
    return p
  }
  if (v instanceof Uint8Array) {
    const n = v.length
    if (n < 0x100) {
      out[p++] = 0xc4
      out[p++] = n
    } else if (n < 0x10000) {
      out[p++] = 0xc5
      p = out.writeUInt16BE(n, p)
    } else {
      out[p++] = 0xc6
      p = out.writeUInt32BE(n, p)
    }
    out.set(v, p)
    return p + n
  }
  const items = v as unknown[]
  const n = items.length
  if (n < 16) out[p++] = 0x90 | n
  else if (n < 0x10000) {
    out[p++] = 0xdc
    p = out.writeUInt16BE(n, p)
  } else {
    out[p++] = 0xdd
    p = out.writeUInt32BE(n, p)
  }
  for (let i = 0; i < n; i++) {
    const item = items[i]
    p = typeof item === 'number' && item >>> 0 === item && (item !== 0 || 1 / item > 0) ? writeUint(out, p, item) : write(out, p, item)
  }
  return p
}

// ---- decoding ----

/** Thrown inside the decoder when it meets a type it leaves to the general decoder. */
const NOT_SIMPLE = new Error('not a simple value')

/** What decodeSimple returns when `bytes` holds something else than arrays, numbers and byte strings. */
export const NOT_SIMPLE_VALUE: unique symbol = Symbol('not simple')

let src: Buffer
let pos = 0
let share = false

/**
 * Decodes `bytes` when it is exactly one value made of arrays, numbers and byte
 * strings; NOT_SIMPLE_VALUE when it holds another type (the caller uses the general decoder).
 * Byte strings are views of `bytes` when `shared`, else copies. Malformed input (a
 * truncated value, a length past the end, trailing bytes) is a CodecError.
 */
export function decodeSimple(bytes: Uint8Array, shared: boolean): unknown {
  src = bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  pos = 0
  share = shared
  try {
    const value = read(0)
    if (pos !== src.length) throw new CodecError(`malformed MessagePack: ${src.length - pos} bytes after the value`)
    return value
  } catch (err) {
    if (err === NOT_SIMPLE) return NOT_SIMPLE_VALUE
    throw err
  } finally {
    src = EMPTY
  }
}

const EMPTY = Buffer.alloc(0)

// Big-endian lengths and integers, read after need() has checked the bytes are
// there: plain byte arithmetic, cheaper than Buffer's checked readers, above all in
// a new process, where each of those is one more function to compile.
function u16(at: number): number {
  return (src[at]! << 8) | src[at + 1]!
}

function u32(at: number): number {
  return src[at]! * 0x1000000 + ((src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!)
}

function need(n: number): void {
  if (pos + n > src.length) throw new CodecError(`malformed MessagePack at byte ${pos}: unexpected end`)
}

function read(depth: number): unknown {
  need(1)
  const t = src[pos++]!
  if (t < 0x80) return t
  if (t >= 0xe0) return t - 0x100
  if (t >= 0x90 && t <= 0x9f) return readArray(t & 0x0f, depth)
  let v: number
  switch (t) {
    case 0xcc:
      need(1)
      return src[pos++]!
    case 0xcd:
      need(2)
      v = u16(pos)
      pos += 2
      return v
    case 0xce:
      need(4)
      v = u32(pos)
      pos += 4
      return v
    case 0xd0:
      need(1)
      return src.readInt8(pos++)
    case 0xd1:
      need(2)
      v = src.readInt16BE(pos)
      pos += 2
      return v
    case 0xd2:
      need(4)
      v = src.readInt32BE(pos)
      pos += 4
      return v
    case 0xcb:
      need(8)
      v = src.readDoubleBE(pos)
      pos += 8
      return v
    case 0xc4:
      need(1)
      return readBin(src[pos++]!)
    case 0xc5:
      need(2)
      v = u16(pos)
      pos += 2
      return readBin(v)
    case 0xc6:
      need(4)
      v = u32(pos)
      pos += 4
      return readBin(v)
    case 0xdc:
      need(2)
      v = u16(pos)
      pos += 2
      return readArray(v, depth)
    case 0xdd:
      need(4)
      v = u32(pos)
      pos += 4
      return readArray(v, depth)
    default:
      throw NOT_SIMPLE
  }
}

function readBin(n: number): Uint8Array {
  need(n)
  const start = pos
  pos += n
  if (share) return src.subarray(start, pos)
  const copy = Buffer.allocUnsafe(n)
  src.copy(copy, 0, start, pos)
  return copy
}

function readArray(n: number, depth: number): unknown[] {
  if (depth >= MAX_DEPTH) throw NOT_SIMPLE
  // Every item takes at least one byte: a count past the end is a lie, not an allocation.
  if (n > src.length - pos)
    throw new CodecError(`malformed MessagePack at byte ${pos}: an array of ${n} items in ${src.length - pos} bytes`)
  const out = new Array<unknown>(n)
  const end = src.length
  for (let i = 0; i < n; i++) {
    // Unsigned integers inline (a branch is mostly arrays of addresses and counts):
    // no call per item, which counts most before V8 has optimised this, in a new
    // process's first reads. Anything else, or a truncated item, goes through read().
    const t = src[pos]!
    if (t < 0x80 && pos < end) {
      out[i] = t
      pos++
    } else if (t === 0xce && pos + 5 <= end) {
      out[i] = u32(pos + 1)
      pos += 5
    } else if (t === 0xcd && pos + 3 <= end) {
      out[i] = u16(pos + 1)
      pos += 3
    } else out[i] = read(depth + 1)
  }
  return out
}
