// Raw bytes: values are Uint8Array and are stored as they are. For callers who
// serialize values themselves, or store blobs. Both directions copy, so neither
// the caller's buffer nor a cached node is ever shared with the other side.

import type { Codec } from './codec.js'

export const rawCodec: Codec<Uint8Array> = {
  id: 'raw',
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new TypeError('the raw codec stores only Uint8Array values')
    return new Uint8Array(value)
  },
  decode(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(bytes)
  },
  decodeShared(bytes: Uint8Array): Uint8Array {
    return bytes
  },
}
