// JSON: readable and universal. Bytes (Uint8Array) are stored as
// {"$dbdb:bytes": "<base64>"} so that tree nodes, whose keys are bytes, can use it.
// Everything else is what JSON carries exactly: null, booleans, finite numbers other
// than -0, strings (a lone surrogate is written as its \u escape and read back),
// arrays and plain objects. Anything JSON.stringify would change or drop (a Date
// turned into its string, undefined, NaN, -0, a Map as {}, a class instance's
// prototype) is a TypeError at encode, never a different value at decode.

import { type Codec, CodecError } from './codec.js'

const BYTES_TAG = '$dbdb:bytes'
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function refuse(what: string): never {
  throw new TypeError(`the json codec cannot store ${what} (it would not read back as it was)`)
}

// JSON.stringify calls toJSON (Buffer and Date have one) before the replacer sees the
// value, so look at the holder's original property (the root's holder is { '': value }).
function replacer(this: Record<string, unknown>, key: string, converted: unknown): unknown {
  const value = this[key]
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return converted
    case 'number':
      if (!Number.isFinite(value) || (value === 0 && 1 / value < 0)) refuse(String(Object.is(value, -0) ? '-0' : value))
      return converted
    case 'object':
      break
    default:
      refuse(`a ${typeof value}`)
  }
  if (value === null) return converted
  if (value instanceof Uint8Array) return { [BYTES_TAG]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
  const proto: unknown = Object.getPrototypeOf(value)
  if (Array.isArray(value)) {
    // Holes are read as undefined, which the replacer then refuses.
    if (proto !== Array.prototype) refuse('an Array subclass')
    if (converted !== value) refuse('an array with a toJSON method')
    return converted
  }
  if (proto !== Object.prototype)
    refuse(
      proto === null
        ? 'an object without prototype'
        : `a ${(proto as { constructor?: { name?: string } }).constructor?.name ?? 'class instance'}`,
    )
  if (Object.getOwnPropertySymbols(value).length > 0) refuse('an object with symbol keys')
  if (Object.hasOwn(value, BYTES_TAG)) throw new TypeError(`the json codec reserves the key ${BYTES_TAG}`)
  // A toJSON method would store what it returns instead.
  if (converted !== value) refuse('an object with a toJSON method')
  return converted
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, BYTES_TAG)) {
    const tagged = (value as Record<string, unknown>)[BYTES_TAG]
    if (typeof tagged !== 'string' || Object.keys(value).length !== 1 || !BASE64.test(tagged)) {
      throw new CodecError(`malformed JSON: a ${BYTES_TAG} object that is not one base64 string`)
    }
    return Buffer.from(tagged, 'base64')
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
      if (err instanceof TypeError && err.message.startsWith('the json codec')) throw err
      throw new TypeError(`the json codec cannot encode this value: ${(err as Error).message}`, { cause: err })
    }
    if (text === undefined) throw new TypeError(`the json codec cannot encode ${typeof value}`)
    return Buffer.from(text, 'utf8')
  },
  decode(bytes: Uint8Array): unknown {
    try {
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), reviver)
    } catch (err) {
      if (err instanceof CodecError) throw err
      throw new CodecError(`malformed JSON: ${(err as Error).message}`, { cause: err })
    }
  },
}
