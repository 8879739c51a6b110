// MessagePack through msgpackr: compact and fast. Binary comes back as Buffer
// (a Uint8Array). Maps decode to plain objects, Date round-trips as the standard
// timestamp; other extension types are refused on both sides (see msgpack-check).

import { Packr } from 'msgpackr'
import { CodecError, type Codec } from './codec.js'
import { checkMsgpack } from './msgpack-check.js'
import { decodeSimple, encodeSimple, NOT_SIMPLE_VALUE } from './msgpack-simple.js'

const options = {
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  mapsAsObjects: true,
  int64AsType: 'number',
} as const
// Decoded binary must not alias the input: a value handed to a caller could otherwise
// write through into a cached node.
const packr = new Packr({ ...options, copyBuffers: true })
const sharing = new Packr({ ...options, copyBuffers: false })

function unpack(p: Packr, bytes: Uint8Array): unknown {
  const simple = decodeSimple(bytes, p === sharing)
  if (simple !== NOT_SIMPLE_VALUE) return simple
  checkMsgpack(bytes)
  try {
    return p.unpack(bytes)
  } catch (err) {
    throw new CodecError(`malformed MessagePack: ${(err as Error).message}`, { cause: err })
  }
}

export const msgpackCodec: Codec = {
  id: 'msgpack',
  encode(value: unknown): Uint8Array {
    const simple = encodeSimple(value)
    if (simple !== undefined) return simple
    let bytes: Uint8Array
    try {
      bytes = packr.pack(value)
    } catch (err) {
      throw new TypeError(`the msgpack codec cannot encode this value: ${(err as Error).message}`, { cause: err })
    }
    try {
      checkMsgpack(bytes)
    } catch (err) {
      throw new TypeError(`the msgpack codec cannot store this value faithfully: ${(err as Error).message}`, { cause: err })
    }
    return bytes
  },
  decode(bytes: Uint8Array): unknown {
    return unpack(packr, bytes)
  },
  decodeShared(bytes: Uint8Array): unknown {
    return unpack(sharing, bytes)
  },
}
