// How user keys become the byte keys every tree orders by (unsigned bytes):
// 'utf8' takes and returns strings, 'binary' takes and returns Uint8Array.

import { rawCodec } from '@dbdb/codec'

export type KeyEncoding = 'utf8' | 'binary'
export type KeyOf<E extends KeyEncoding> = E extends 'binary' ? Uint8Array : string

/** Keys above this size are refused: they bloat every tree node that holds them. */
export const MAX_KEY_BYTES = 4096

export interface KeyCodec<K> {
  readonly name: KeyEncoding
  /** Validates and copies: the tree keeps the result, so the caller's buffer is never shared. */
  encode(key: unknown, what?: string): Uint8Array
  /** Validates without copying where it can (the result is fresh bytes or `key` itself): for callers that do not keep it. */
  lookup(key: unknown): Uint8Array
  /** A fresh value the caller may keep or mutate. */
  decode(bytes: Uint8Array): K
}

function checkSize(bytes: Uint8Array): Uint8Array {
  if (bytes.length > MAX_KEY_BYTES) throw new RangeError(`keys are at most ${MAX_KEY_BYTES} bytes; this one is ${bytes.length}`)
  return bytes
}

export const utf8Keys: KeyCodec<string> = {
  name: 'utf8',
  encode(key, what = 'key') {
    if (typeof key !== 'string') {
      throw new TypeError(`${what} must be a string (keyEncoding 'utf8'), not ${describe(key)}`)
    }
    if (!key.isWellFormed()) throw new TypeError(`${what} is not well-formed Unicode (it has a lone surrogate)`)
    return checkSize(Buffer.from(key, 'utf8'))
  },
  lookup(key) {
    return utf8Keys.encode(key)
  },
  decode(bytes) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  },
}

export const binaryKeys: KeyCodec<Uint8Array> = {
  name: 'binary',
  encode(key, what = 'key') {
    if (!(key instanceof Uint8Array)) {
      throw new TypeError(`${what} must be a Uint8Array (keyEncoding 'binary'), not ${describe(key)}`)
    }
    // The raw codec's copies are what binary keys need: caller-owned, from Node's Buffer pool.
    return rawCodec.encode(checkSize(key))
  },
  lookup(key) {
    if (!(key instanceof Uint8Array)) return binaryKeys.encode(key)
    return checkSize(key)
  },
  decode(bytes) {
    return rawCodec.decode(bytes)
  },
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Uint8Array) return 'a Uint8Array'
  return typeof value === 'object' ? `an object (${value.constructor?.name ?? 'no prototype'})` : typeof value
}
