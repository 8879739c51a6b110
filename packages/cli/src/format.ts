// How verbs print: values, JSON lines of keys and values, percentages, and error
// messages as one line.

import { jsonKey, showKey } from './keys.js'
import { CliError, EXIT } from './verb.js'

/** A value as `get` and `scan` print it: strings raw (unless asked for JSON), the rest as JSON. */
export function formatValue(value: unknown, json: boolean): string {
  if (typeof value === 'string' && !json) return value
  return toJson(value)
}

/**
 * One JSON line of `dump` and `scan --json`: {"key":...,"value":...}, with
 * "keyHex" for a key that is not UTF-8 and "base64" for a byte-array value, which
 * JSON cannot carry.
 */
export function jsonLine(key: Uint8Array, value: unknown): string {
  if (value instanceof Uint8Array) {
    return `{${jsonKey(key)},"base64":${JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'))}}\n`
  }
  let json: string
  try {
    json = toJson(value)
  } catch (err) {
    throw new CliError(EXIT.DB_ERROR, `the value of ${JSON.stringify(showKey(key))} cannot be written as JSON: ${(err as Error).message}`)
  }
  return `{${jsonKey(key)},"value":${json}}\n`
}

function toJson(value: unknown): string {
  const json = JSON.stringify(value)
  // JSON.stringify gives undefined (not a string) for functions and symbols; a stored value is neither.
  return json ?? 'null'
}

/** Percent with no decimals, never "0%" for a nonzero part nor "100%" for less than all. */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0
  const p = Math.round((part / whole) * 100)
  if (p === 0 && part > 0) return 1
  if (p === 100 && part < whole) return 99
  return p
}

/** An error message as one line. */
export function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, '; ')
}
