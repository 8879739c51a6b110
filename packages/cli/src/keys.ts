// Keys on the command line. Every verb opens the database with binary keys, so keys
// that are not UTF-8 (written with keyEncoding 'binary', or through the Level
// adapter) are neither mangled nor lost by a dump and load. A key is given as text
// (its UTF-8 bytes) or, with --hex, as hex; it is shown as text when its bytes are
// UTF-8, else as 0x and hex (text output) or as "keyHex" (JSON lines).

import { isUtf8 } from 'node:buffer'
import { type OptionSpec, UsageError } from './args.js'

export const HEX_OPTION: OptionSpec = {
  name: 'hex',
  help: 'keys on the command line (KEY, bounds, prefix) are hex bytes, for keys that are not UTF-8',
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/

/** The bytes of a key given on the command line: its UTF-8, or with `hex` its hex digits (an optional 0x first). */
export function keyArg(text: string, hex: boolean, what = 'KEY'): Uint8Array {
  if (!hex) return keyFromText(text, what)
  const key = keyFromHex(text.startsWith('0x') ? text.slice(2) : text)
  if (key === undefined) throw new UsageError(`${what} is not hex (pairs of digits 0-9, a-f): ${JSON.stringify(text)}`)
  return key
}

/**
 * The UTF-8 bytes of a key given as text. A lone surrogate has none: Buffer.from
 * would write U+FFFD in its place, and two different keys could become one.
 */
export function keyFromText(text: string, what = 'key'): Uint8Array {
  if (!text.isWellFormed()) throw new UsageError(`${what} is not well-formed Unicode (it has a lone surrogate)`)
  return Buffer.from(text, 'utf8')
}

/** Hex digits of a JSON line's "keyHex", or undefined when they are not. */
export function keyFromHex(digits: string): Uint8Array | undefined {
  return HEX.test(digits) ? Buffer.from(digits, 'hex') : undefined
}

function bytes(key: Uint8Array): Buffer {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength)
}

/** The key as text when its bytes are UTF-8. */
export function keyText(key: Uint8Array): string | undefined {
  return isUtf8(key) ? bytes(key).toString('utf8') : undefined
}

/** The key for people: its text, or 0x and its bytes in hex when they are not UTF-8. */
export function showKey(key: Uint8Array): string {
  return keyText(key) ?? `0x${bytes(key).toString('hex')}`
}

/** The key's field of a JSON line: "key":TEXT, or "keyHex":HEX when it is not UTF-8. */
export function jsonKey(key: Uint8Array): string {
  const text = keyText(key)
  return text !== undefined ? `"key":${JSON.stringify(text)}` : `"keyHex":${JSON.stringify(bytes(key).toString('hex'))}`
}
