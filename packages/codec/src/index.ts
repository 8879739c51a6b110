export { CodecError, type Codec } from './codec.js'
export { msgpackCodec } from './msgpack.js'
export { jsonCodec } from './json.js'
export { rawCodec } from './raw.js'
export { checkMsgpack } from './msgpack-check.js'
import type { Codec } from './codec.js'
import { jsonCodec } from './json.js'
import { msgpackCodec } from './msgpack.js'
import { rawCodec } from './raw.js'

/** The codecs this package ships, by id. */
export const builtinCodecs: ReadonlyMap<string, Codec> = new Map<string, Codec>([
  [msgpackCodec.id, msgpackCodec],
  [jsonCodec.id, jsonCodec],
  [rawCodec.id, rawCodec as Codec],
])
