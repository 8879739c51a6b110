// Reading: get one key, scan a range.

import { formatValue, jsonLine } from '../format.js'
import { HEX_OPTION, jsonKey, keyArg, showKey } from '../keys.js'
import { RANGE_OPTIONS, rangeFromOptions } from '../range.js'
import { EXIT, type Verb } from '../verb.js'

export const get: Verb = {
  name: 'get',
  args: [{ name: 'KEY' }],
  options: [{ name: 'json', help: 'print the value as JSON even when it is a string' }, HEX_OPTION],
  summary: 'print the value stored under KEY (exit 3 if there is none)',
  details: ['Strings are printed as they are, every other value as JSON.', 'A missing key prints "Key not found" on stderr and exits 3.'],
  examples: ['dbdb app.db get greeting', 'dbdb app.db get config --json', 'dbdb app.db get 00ff10 --hex'],
  opens: 'read',
  run({ args: [key], options, open, out }) {
    const value = open().get(keyArg(key!, options.flag('hex')))
    if (value === undefined) return notFound(out.stderr)
    out.stdout(`${formatValue(value, options.flag('json'))}\n`)
    return EXIT.OK
  },
}

export const scan: Verb = {
  name: 'scan',
  args: [],
  options: [
    ...RANGE_OPTIONS,
    { name: 'limit', value: 'N', help: 'at most N keys' },
    { name: 'reverse', help: 'largest key first' },
    { name: 'keys-only', help: 'print keys, not values' },
    { name: 'json', help: 'one JSON object a line: {"key":...,"value":...} (or {"key":...} with --keys-only)' },
  ],
  summary: 'list keys and values in order, in a range or under a prefix',
  details: [
    'Prints one `KEY<TAB>VALUE` line a key: string values raw, other values as JSON; a key',
    'that is not UTF-8 as 0x and its bytes in hex. With --json each line is a JSON object',
    'instead, which is unambiguous even for keys holding tabs or line breaks; byte-array',
    'values come as {"key":...,"base64":...}, keys that are not UTF-8 as {"keyHex":...}.',
    'Keys are compared by their bytes (for text, UTF-8). The listing streams: it holds one key at a time.',
  ],
  examples: [
    'dbdb app.db scan --prefix user: --limit 10',
    'dbdb app.db scan --gte a --lt b --reverse',
    'dbdb app.db scan --prefix user: --gt user:0042 --limit 100 --json   # the next page',
  ],
  opens: 'read',
  run({ options, open, out }) {
    const range = rangeFromOptions(options)
    const limit = options.integer('limit')
    if (limit !== undefined) range.limit = limit
    if (options.flag('reverse')) range.reverse = true
    const json = options.flag('json')
    const db = open()
    if (options.flag('keys-only')) {
      for (const key of db.keys(range)) out.stdout(json ? `{${jsonKey(key)}}\n` : `${showKey(key)}\n`)
    } else {
      for (const [key, value] of db.entries(range)) {
        out.stdout(json ? jsonLine(key, value) : `${showKey(key)}\t${formatValue(value, false)}\n`)
      }
    }
    return EXIT.OK
  },
}

export function notFound(stderr: (text: string) => void): number {
  stderr('Key not found\n')
  return EXIT.NOT_FOUND
}
