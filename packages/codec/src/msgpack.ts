// MessagePack: compact and fast. Values made only of arrays, numbers and binary (all
// a tree node is) take the fast path (msgpack-simple); everything else goes through
// the general encoder and decoder (msgpack-encode, msgpack-decode), after a structural
// check of the bytes (msgpack-check). Binary comes back as Buffer (a Uint8Array).
// What the codec carries, and how, is listed in the README; anything else is a
// TypeError at encode. The bytes are standard MessagePack, and for JSON-like values,
// binary and Dates what msgpackr writes (see msgpack-encode).

import type { Codec } from './codec.js'
import { checkMsgpack } from './msgpack-check.js'
import { decodeGeneral } from './msgpack-decode.js'
import { encodeGeneral } from './msgpack-encode.js'
// The fast path is imported first, so that the bundle holds its code before the
// general coder's: the order of the two in the bundle changes how fast V8 runs the
// same code, and this one decodes tree nodes faster.
import { decodeSimple, encodeSimple, NOT_SIMPLE_VALUE } from './msgpack-simple.js'

function unpack(bytes: Uint8Array, share: boolean): unknown {
  const simple = decodeSimple(bytes, share)
  if (simple !== NOT_SIMPLE_VALUE) return simple
  checkMsgpack(bytes)
  return decodeGeneral(bytes, share)
}

export const msgpackCodec: Codec = {
  id: 'msgpack',
  encode(value: unknown): Uint8Array {
    // The general encoder writes only types and depths checkMsgpack admits (its
    // tests hold it to that), so its output is not checked again here.
    return encodeSimple(value) ?? encodeGeneral(value)
  },
  decode(bytes: Uint8Array): unknown {
    return unpack(bytes, false)
  },
  decodeShared(bytes: Uint8Array): unknown {
    return unpack(bytes, true)
  },
}
