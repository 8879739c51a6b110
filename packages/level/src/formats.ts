// Level's private formats ('utf8', 'buffer', 'view') to and from the bytes DBDB
// stores. Level's encodings layer has already turned JSON, numbers etc. into one
// of these; DBDB keys and values are plain bytes, ordered by unsigned bytes.

import { MAX_KEY_BYTES } from '@dbdb/dbdb'

/** What the private API hands over: a string for 'utf8', a Buffer or Uint8Array otherwise. */
export type Encoded = string | Uint8Array

export type Format = 'utf8' | 'buffer' | 'view'

export function toBytes(data: Encoded): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data
}

/**
 * Bytes from DBDB in the format Level asked for. DBDB hands out fresh copies, so a
 * Buffer can share the copy's memory instead of copying again.
 */
export function fromBytes(bytes: Uint8Array, format: string): Encoded {
  if (format === 'view') return bytes
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return format === 'utf8' ? buffer.toString('utf8') : buffer
}

/** True when DBDB can store this key (MAX_KEY_BYTES at most); longer keys are never present. */
export function storable(key: Uint8Array): boolean {
  return key.byteLength <= MAX_KEY_BYTES
}
