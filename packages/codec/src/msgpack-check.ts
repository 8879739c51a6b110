// A strict structural pass over MessagePack bytes, run before msgpackr decodes
// them. msgpackr's decoder understands extension types that build objects named
// by the data (Error classes, RegExp, Set, typed arrays, record definitions that
// generate code); bytes read from a file must not be able to ask for those.
// Allowed: every core type, ext 0 (undefined) and ext -1 (timestamp -> Date).

import { CodecError } from './codec.js'

const MAX_DEPTH = 512

function fail(why: string, at: number): never {
  throw new CodecError(`malformed MessagePack at byte ${at}: ${why}`)
}

/** Throws CodecError unless `b` is exactly one well-formed, allowed MessagePack value. */
export function checkMsgpack(b: Uint8Array): void {
  const n = b.length
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  // pending[i]: how many values the i-th open container still holds.
  const pending: number[] = [1]
  let p = 0
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
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) {
      // fixint, nil, false, true
    } else if (t <= 0x8f) items = (t & 0x0f) * 2
    else if (t <= 0x9f) items = t & 0x0f
    else if (t <= 0xbf) skip = t & 0x1f
    else {
      switch (t) {
        case 0xc4: case 0xd9: skip = need(1) && b[p]!; p += 1; break
        case 0xc5: case 0xda: skip = need(2) && view.getUint16(p); p += 2; break
        case 0xc6: case 0xdb: skip = need(4) && view.getUint32(p); p += 4; break
        case 0xcc: case 0xd0: skip = 1; break
        case 0xcd: case 0xd1: skip = 2; break
        case 0xca: case 0xce: case 0xd2: skip = 4; break
        case 0xcb: case 0xcf: case 0xd3: skip = 8; break
        case 0xdc: items = need(2) && view.getUint16(p); p += 2; break
        case 0xdd: items = need(4) && view.getUint32(p); p += 4; break
        case 0xde: items = (need(2) && view.getUint16(p)) * 2; p += 2; break
        case 0xdf: items = (need(4) && view.getUint32(p)) * 2; p += 4; break
        case 0xd4: // fixext 1: only ext 0 (undefined)
          need(2)
          if (b[p] !== 0x00) fail(`extension type ${b[p]} is not allowed`, p)
          skip = 2
          break
        case 0xd6: case 0xd7: // fixext 4 / 8: only the timestamp
          need(1)
          if (b[p] !== 0xff) fail(`extension type ${b[p]} is not allowed`, p)
          skip = 1 + (t === 0xd6 ? 4 : 8)
          break
        case 0xc7: // ext 8: only the 96-bit timestamp
          need(2)
          if (b[p] !== 12 || b[p + 1] !== 0xff) fail(`extension type ${b[p + 1]} is not allowed`, p)
          skip = 2 + 12
          break
        default:
          fail(`type byte 0x${t.toString(16)} is not allowed`, p - 1)
      }
    }
    if (skip > 0) {
      if (p + skip > n) fail('value runs past the end', p)
      p += skip
    }
    if (items > 0) {
      // Every item takes at least one byte: a count larger than what is left is a lie.
      if (items > n - p) fail(`container claims ${items} items`, p)
      if (pending.length >= MAX_DEPTH) fail('nested too deeply', p)
      pending.push(items)
    }
  }
  if (p !== n) fail('trailing bytes', p)

  function need(k: number): number {
    if (p + k > n) fail('unexpected end', p)
    return 1
  }
}
