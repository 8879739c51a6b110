// JSON: readable and universal. Bytes (Uint8Array) are stored as
// {"$dbdb:bytes": "<base64>"} so that tree nodes, whose keys are bytes, can use it;
// everything else follows JSON.stringify's rules (Date becomes its ISO string).

import { CodecError, type Codec } from './codec.js'

const BYTES_TAG = '$dbdb:bytes'

// JSON.stringify calls toJSON (Buffer has one) before the replacer sees the value,
// so look at the holder's original property (the root's holder is { '': value }).
function replacer(this: Record<string, unknown>, key: string, converted: unknown): unknown {
  const value = this[key]
  if (value instanceof Uint8Array) return { [BYTES_TAG]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
  if (typeof value === 'bigint') throw new TypeError('the json codec cannot encode a bigint')
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, BYTES_TAG)) {
    throw new TypeError(`the json codec reserves the key ${BYTES_TAG}`)
  }
  return converted
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>)[BYTES_TAG]
    if (typeof tagged === 'string' && Object.keys(value).length === 1) return Buffer.from(tagged, 'base64')
  }
  return value
}

export const jsonCodec: Codec = {
  id: 'json',
  encode(value: unknown): Uint8Array {
    let text: string | undefined
    try {
      text = JSON.stringify(value, replacer)
    } catch (err) {
      throw new TypeError(`the json codec cannot encode this value: ${(err as Error).message}`, { cause: err })
    }
    if (text === undefined) throw new TypeError(`the json codec cannot encode ${typeof value}`)
    return Buffer.from(text, 'utf8')
  },
  decode(bytes: Uint8Array): unknown {
    try {
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), reviver)
    } catch (err) {
      throw new CodecError(`malformed JSON: ${(err as Error).message}`, { cause: err })
    }
  },
}
