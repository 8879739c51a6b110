// The range options shared by scan and dump (--gt, --gte, --lt, --lte, --prefix)
// and how they become the API's Range.

import type { Range } from '@dbdb/dbdb'
import { type OptionSpec, type Options, UsageError } from './args.js'
import { HEX_OPTION, keyArg } from './keys.js'

export const RANGE_OPTIONS: readonly OptionSpec[] = [
  { name: 'gt', value: 'K', help: 'only keys after K' },
  { name: 'gte', value: 'K', help: 'only keys from K on' },
  { name: 'lt', value: 'K', help: 'only keys before K' },
  { name: 'lte', value: 'K', help: 'only keys up to K, K included' },
  { name: 'prefix', value: 'P', help: 'only keys that start with P (may be combined with the bounds above)' },
  HEX_OPTION,
]

interface Bound {
  key: Uint8Array
  inclusive: boolean
}

/** The range the options ask for (bounds only; scan adds reverse and limit). */
export function rangeFromOptions(options: Options): Range<Uint8Array> {
  const hex = options.flag('hex')
  const key = (name: string): Uint8Array | undefined => {
    const text = options.string(name)
    return text === undefined ? undefined : keyArg(text, hex, `--${name}`)
  }
  const gt = key('gt')
  const gte = key('gte')
  const lt = key('lt')
  const lte = key('lte')
  if (gt !== undefined && gte !== undefined) throw new UsageError('give --gt or --gte, not both')
  if (lt !== undefined && lte !== undefined) throw new UsageError('give --lt or --lte, not both')
  let lower: Bound | undefined =
    gt !== undefined ? { key: gt, inclusive: false } : gte !== undefined ? { key: gte, inclusive: true } : undefined
  let upper: Bound | undefined =
    lt !== undefined ? { key: lt, inclusive: false } : lte !== undefined ? { key: lte, inclusive: true } : undefined
  const prefix = key('prefix')
  if (prefix !== undefined && prefix.length > 0) {
    lower = tighter(lower, { key: prefix, inclusive: true }, 1)
    const end = prefixEnd(prefix)
    if (end !== undefined) upper = tighter(upper, { key: end, inclusive: false }, -1)
  }
  const range: Range<Uint8Array> = {}
  if (lower !== undefined) range[lower.inclusive ? 'gte' : 'gt'] = lower.key
  if (upper !== undefined) range[upper.inclusive ? 'lte' : 'lt'] = upper.key
  return range
}

/**
 * The first byte string after every key that starts with `prefix`: the prefix with
 * its last byte raised by one (dropping trailing 0xff bytes first), so
 * `{ gte: prefix, lt: prefixEnd(prefix) }` holds exactly the keys that start with
 * `prefix`, whatever their bytes (for text, UTF-8 orders like code points, so also
 * every key whose next character is U+FFFF or above, such as most emoji). Undefined
 * when no upper bound is needed.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  let n = prefix.length
  while (n > 0 && prefix[n - 1] === 0xff) n--
  if (n === 0) return undefined
  const end = Uint8Array.from(prefix.subarray(0, n))
  end[n - 1]!++
  return end
}

/** Of two lower (sign 1) or upper (sign -1) bounds, the one that lets fewer keys through. */
function tighter(a: Bound | undefined, b: Bound, sign: 1 | -1): Bound {
  if (a === undefined) return b
  const c = Buffer.compare(a.key, b.key) * sign
  if (c !== 0) return c > 0 ? a : b
  return a.inclusive ? b : a
}
