// Keys are bytes ordered by unsigned byte comparison (memcmp), so every codec,
// tree and key encoding agrees on order. Ranges are normalized here once, for all trees.

export type Key = Uint8Array

/** memcmp order; shorter sorts first when one key is a prefix of the other. */
export function compareKeys(a: Key, b: Key): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export interface Range {
  gt?: Key
  gte?: Key
  lt?: Key
  lte?: Key
  /** Iterate from the largest key down. */
  reverse?: boolean
  /** At most this many entries; negative or Infinity means no limit. */
  limit?: number
}

/** A range reduced to two optional bounds; `gte` wins over `gt` and `lte` over `lt` when both are given. */
export interface Bounds {
  readonly lower: Key | undefined
  readonly lowerInclusive: boolean
  readonly upper: Key | undefined
  readonly upperInclusive: boolean
  readonly reverse: boolean
  readonly limit: number
}

export function toBounds(range: Range = {}): Bounds {
  const limit = range.limit === undefined || range.limit < 0 ? Infinity : range.limit
  return {
    lower: range.gte ?? range.gt,
    lowerInclusive: range.gte !== undefined,
    upper: range.lte ?? range.lt,
    upperInclusive: range.lte !== undefined,
    reverse: range.reverse === true,
    limit,
  }
}

export function aboveLower(key: Key, b: Bounds): boolean {
  if (b.lower === undefined) return true
  const c = compareKeys(key, b.lower)
  return c > 0 || (c === 0 && b.lowerInclusive)
}

export function belowUpper(key: Key, b: Bounds): boolean {
  if (b.upper === undefined) return true
  const c = compareKeys(key, b.upper)
  return c < 0 || (c === 0 && b.upperInclusive)
}

export function inBounds(key: Key, b: Bounds): boolean {
  return aboveLower(key, b) && belowUpper(key, b)
}
