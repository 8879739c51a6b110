// A strict structural pass over MessagePack bytes, run before the codec's general
// decoder. It admits every core type and only the extension types the codec reads
// itself (msgpack-types): decoders such as msgpackr understand others that build
// objects named by the data (Error classes, RegExp, record definitions that generate
// code), and bytes read from a file must not be able to ask for those. The payload
// of a Map, Set or prototype-less object is a nested value and is checked as one.

import { CodecError } from './codec.js'
import { ALLOWED_EXTENSIONS, NESTED_EXTENSIONS } from './msgpack-types.js'

const MAX_DEPTH = 512

function fail(why: string, at: number): never {
  throw new CodecError(`malformed MessagePack at byte ${at}: ${why}`)
}

/** Throws CodecError unless `b` is exactly one well-formed, allowed MessagePack value. */
export function checkMsgpack(b: Uint8Array): void {
  checkRange(b, 0, b.length, 0)
}

/** Checks that b[start, end) is exactly one value, nested `depth` levels deep. */
function checkRange(b: Uint8Array, start: number, n: number, depth: number): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  // pending[i]: how many values the i-th open container still holds.
  const pending: number[] = [1]
  let p = start
  while (pending.length > 0) {
    if (pending[pending.length - 1] === 0) {
      pending.pop()
      continue
    }
    pending[pending.length - 1]!--
    if (p >= n) fail('unexpected end', p)
    const t = b[p++]!
    let skip = 0
    let items = -1
    let ext = -1
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) {
      // fixint, nil, false, true
    } else if (t <= 0x8f) items = (t & 0x0f) * 2
    else if (t <= 0x9f) items = t & 0x0f
    else if (t <= 0xbf) skip = t & 0x1f
    else {
      switch (t) {
        case 0xc4:
        case 0xd9:
          skip = need(1) && b[p]!
          p += 1
          break
        case 0xc5:
        case 0xda:
          skip = need(2) && view.getUint16(p)
          p += 2
          break
        case 0xc6:
        case 0xdb:
          skip = need(4) && view.getUint32(p)
          p += 4
          break
        case 0xcc:
        case 0xd0:
          skip = 1
          break
        case 0xcd:
        case 0xd1:
          skip = 2
          break
        case 0xca:
        case 0xce:
        case 0xd2:
          skip = 4
          break
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8
          break
        case 0xdc:
          items = need(2) && view.getUint16(p)
          p += 2
          break
        case 0xdd:
          items = need(4) && view.getUint32(p)
          p += 4
          break
        case 0xde:
          items = (need(2) && view.getUint16(p)) * 2
          p += 2
          break
        case 0xdf:
          items = (need(4) && view.getUint32(p)) * 2
          p += 4
          break
        // fixext 1, 2, 4, 8, 16
        case 0xd4:
          skip = 1
          break
        case 0xd5:
          skip = 2
          break
        case 0xd6:
          skip = 4
          break
        case 0xd7:
          skip = 8
          break
        case 0xd8:
          skip = 16
          break
        // ext 8, 16, 32
        case 0xc7:
          skip = need(1) && b[p]!
          p += 1
          break
        case 0xc8:
          skip = need(2) && view.getUint16(p)
          p += 2
          break
        case 0xc9:
          skip = need(4) && view.getUint32(p)
          p += 4
          break
        default:
          fail(`type byte 0x${t.toString(16)} is not allowed`, p - 1)
      }
      if ((t >= 0xd4 && t <= 0xd8) || (t >= 0xc7 && t <= 0xc9)) {
        need(1)
        ext = b[p]!
        if (!ALLOWED_EXTENSIONS.has(ext)) fail(`extension type ${(ext << 24) >> 24} is not allowed`, p)
        p += 1
      }
    }
    if (skip > 0) {
      if (p + skip > n) fail('value runs past the end', p)
      if (NESTED_EXTENSIONS.has(ext)) {
        if (depth + pending.length >= MAX_DEPTH) fail('nested too deeply', p)
        checkRange(b, p, p + skip, depth + pending.length)
      }
      p += skip
    } else if (ext !== -1 && NESTED_EXTENSIONS.has(ext)) fail('empty extension payload', p)
    if (items > 0) {
      // Every item takes at least one byte: a count larger than what is left is a lie.
      if (items > n - p) fail(`container claims ${items} items`, p)
      if (depth + pending.length >= MAX_DEPTH) fail('nested too deeply', p)
      pending.push(items)
    }
  }
  if (p !== n) fail(depth === 0 ? 'trailing bytes' : 'bytes after the value in an extension payload', p)

  function need(k: number): number {
    if (p + k > n) fail('unexpected end', p)
    return 1
  }
}
