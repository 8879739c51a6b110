// The range options shared by scan and dump (--gt, --gte, --lt, --lte, --prefix)
// and how they become the API's Range.

import type { Range } from '@dbdb/dbdb'
import { UsageError, type OptionSpec, type Options } from './args.js'

export const RANGE_OPTIONS: readonly OptionSpec[] = [
  { name: 'gt', value: 'K', help: 'only keys after K' },
  { name: 'gte', value: 'K', help: 'only keys from K on' },
  { name: 'lt', value: 'K', help: 'only keys before K' },
  { name: 'lte', value: 'K', help: 'only keys up to K, K included' },
  { name: 'prefix', value: 'P', help: 'only keys that start with P (may be combined with the bounds above)' },
]

interface Bound {
  key: string
  inclusive: boolean
}

/** The range the options ask for (bounds only; scan adds reverse and limit). */
export function rangeFromOptions(options: Options): Range<string> {
  const gt = options.string('gt')
  const gte = options.string('gte')
  const lt = options.string('lt')
  const lte = options.string('lte')
  if (gt !== undefined && gte !== undefined) throw new UsageError('give --gt or --gte, not both')
  if (lt !== undefined && lte !== undefined) throw new UsageError('give --lt or --lte, not both')
  let lower: Bound | undefined = gt !== undefined ? { key: gt, inclusive: false } : gte !== undefined ? { key: gte, inclusive: true } : undefined
  let upper: Bound | undefined = lt !== undefined ? { key: lt, inclusive: false } : lte !== undefined ? { key: lte, inclusive: true } : undefined
  const prefix = options.string('prefix')
  if (prefix !== undefined && prefix !== '') {
    lower = tighter(lower, { key: prefix, inclusive: true }, 1)
    const end = prefixEnd(prefix)
    if (end !== undefined) upper = tighter(upper, { key: end, inclusive: false }, -1)
  }
  const range: Range<string> = {}
  if (lower !== undefined) range[lower.inclusive ? 'gte' : 'gt'] = lower.key
  if (upper !== undefined) range[upper.inclusive ? 'lte' : 'lt'] = upper.key
  return range
}

/**
 * The first string after every string that starts with `prefix`: the prefix with
 * its last code point raised by one (dropping trailing U+10FFFF first). Keys are
 * ordered by their UTF-8 bytes, which is code point order, so
 * `{ gte: prefix, lt: prefixEnd(prefix) }` holds exactly the keys that start with
 * `prefix`. (The shorter `lt: prefix + '\uffff'` misses keys whose next character
 * is U+FFFF or above, such as most emoji.) Undefined when no upper bound is needed.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix)
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!
    if (last < 0x10ffff) {
      // The next code point, stepping over the surrogates, which are not characters.
      points.push(String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1))
      return points.join('')
    }
  }
  return undefined
}

/** Of two lower (sign 1) or upper (sign -1) bounds, the one that lets fewer keys through. */
function tighter(a: Bound | undefined, b: Bound, sign: 1 | -1): Bound {
  if (a === undefined) return b
  const c = Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8')) * sign
  if (c !== 0) return c > 0 ? a : b
  return a.inclusive ? b : a
}
