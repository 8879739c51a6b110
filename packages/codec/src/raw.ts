// Raw bytes: values are Uint8Array and are stored as they are. For callers who
// serialize values themselves, or store blobs. Both directions copy, so neither
// the caller's buffer nor a cached node is ever shared with the other side
// (encodeShared does not: for a caller that copies anyway).
// Copies are Buffers (Uint8Array subclasses): Node carves small ones out of a shared
// pool, where a Uint8Array gets an ArrayBuffer of its own, an allocation that for a
// small value would be most of what a cached get costs.

import type { Codec } from './codec.js'

export const rawCodec: Codec<Uint8Array> = {
  id: 'raw',
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new TypeError('the raw codec stores only Uint8Array values')
    return copy(value)
  },
  encodeShared(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new TypeError('the raw codec stores only Uint8Array values')
    return value
  },
  decode(bytes: Uint8Array): Uint8Array {
    return copy(bytes)
  },
  decodeShared(bytes: Uint8Array): Uint8Array {
    return bytes
  },
}

function copy(bytes: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(bytes.length)
  out.set(bytes)
  return out
}
