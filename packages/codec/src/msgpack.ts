// MessagePack through msgpackr: compact and fast. Binary comes back as Buffer
// (a Uint8Array). Maps decode to plain objects, Date round-trips as the standard
// timestamp; other extension types are refused on both sides (see msgpack-check).

import { createRequire } from 'node:module'
import type { Packr } from 'msgpackr'
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

interface Packrs {
  /** Decoded binary must not alias the input: a value handed to a caller could otherwise write through into a cached node. */
  readonly copying: Packr
  readonly sharing: Packr
}
let packrs: Packrs | undefined

/**
 * msgpackr, loaded at the first value the simple path leaves to it: importing it
 * (with its native string decoder) took ~15 ms of a ~32 ms import of @dbdb/dbdb,
 * and tree nodes, numbers and binary values never need it.
 */
function msgpackr(): Packrs {
  if (packrs === undefined) {
    const { Packr } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr')
    packrs = { copying: new Packr({ ...options, copyBuffers: true }), sharing: new Packr({ ...options, copyBuffers: false }) }
  }
  return packrs
}

function unpack(bytes: Uint8Array, share: boolean): unknown {
  const simple = decodeSimple(bytes, share)
  if (simple !== NOT_SIMPLE_VALUE) return simple
  checkMsgpack(bytes)
  const { sharing, copying } = msgpackr()
  try {
    return (share ? sharing : copying).unpack(bytes)
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
      bytes = msgpackr().copying.pack(value)
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
    return unpack(bytes, false)
  },
  decodeShared(bytes: Uint8Array): unknown {
    return unpack(bytes, true)
  },
}
