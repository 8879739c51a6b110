// The read side shared by a database handle and its read-only views (snapshots,
// past commits): keys and values are decoded here, trees only see bytes.

import type { Codec } from '@dbdb/codec'
import type { LogicalTree, Range as TreeRange } from '@dbdb/logical'
import { DbdbError } from '@dbdb/storage'
import type { KeyCodec } from './key-encoding.js'

export interface Range<K> {
  gt?: K
  gte?: K
  lt?: K
  lte?: K
  /** Largest key first. */
  reverse?: boolean
  /** At most this many entries: a whole number >= 0, or Infinity (the default: no limit). */
  limit?: number
}

const RANGE_KEYS = new Set(['gt', 'gte', 'lt', 'lte', 'reverse', 'limit'])

export abstract class Reader<K, V> {
  protected readonly keyCodec: KeyCodec<K>
  protected readonly valueCodec: Codec

  protected constructor(keyCodec: KeyCodec<K>, valueCodec: Codec) {
    this.keyCodec = keyCodec
    this.valueCodec = valueCodec
  }

  /** The tree reads go to, brought up to date; throws DBDB_CLOSED when closed. */
  protected abstract readTree(): LogicalTree

  /** The value stored under `key`, or undefined. The result is the caller's to keep or change. */
  get(key: K): V | undefined {
    const bytes = this.readTree().get(this.keyCodec.lookup(key))
    return bytes === undefined ? undefined : decodeValue<V>(this.valueCodec, bytes)
  }

  has(key: K): boolean {
    return this.readTree().has(this.keyCodec.lookup(key))
  }

  /** Number of keys. */
  get size(): number {
    return this.readTree().size
  }

  /** Number of keys in a range, without visiting them (on the B+ tree). */
  count(range: Range<K> = {}): number {
    const { limit, reverse, ...bounds } = this.toTreeRange(range)
    const n = this.readTree().count(bounds)
    return limit !== undefined && limit >= 0 ? Math.min(n, limit) : n
  }

  /**
   * [key, value] pairs in key order, lazily. The iteration sees the database as it
   * was when entries() was called, whatever is written or committed meanwhile.
   * Prefix listing: `entries({ gte: 'dog:', lt: 'dog;' })`, the prefix with its last
   * character raised by one (keys compare as UTF-8 bytes, so this is exact).
   */
  entries(range: Range<K> = {}): IterableIterator<[K, V]> {
    const source = this.readTree().entries(this.toTreeRange(range))
    const { keyCodec, valueCodec } = this
    return mapIterator(source, ([k, v]) => [keyCodec.decode(k), decodeValue<V>(valueCodec, v)])
  }

  keys(range: Range<K> = {}): IterableIterator<K> {
    const source = this.readTree().entries(this.toTreeRange(range))
    const { keyCodec } = this
    return mapIterator(source, ([k]) => keyCodec.decode(k))
  }

  values(range: Range<K> = {}): IterableIterator<V> {
    const source = this.readTree().entries(this.toTreeRange(range))
    const { valueCodec } = this
    return mapIterator(source, ([, v]) => decodeValue<V>(valueCodec, v))
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries()
  }

  protected toTreeRange(range: Range<K>): TreeRange {
    if (typeof range !== 'object' || range === null) throw new TypeError('range must be an object')
    for (const key of Object.keys(range)) {
      if (!RANGE_KEYS.has(key)) throw new TypeError(`unknown range option ${JSON.stringify(key)}; known: gt, gte, lt, lte, reverse, limit`)
    }
    const out: TreeRange = {}
    for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
      if (range[bound] !== undefined) out[bound] = this.keyCodec.encode(range[bound], `range.${bound}`)
    }
    if (range.reverse !== undefined) {
      if (typeof range.reverse !== 'boolean') throw new TypeError('range.reverse must be a boolean')
      out.reverse = range.reverse
    }
    if (range.limit !== undefined) {
      const limit: unknown = range.limit
      if (typeof limit !== 'number') throw new TypeError(`range.limit must be a number, not ${typeof limit}`)
      // Refused rather than passed on: the trees would read 1.5 or -1 as "no limit", and count() 1.5 as 1.5.
      if (!(limit >= 0) || (limit !== Infinity && !Number.isInteger(limit))) {
        throw new RangeError(`range.limit must be a whole number >= 0 or Infinity, not ${limit}`)
      }
      out.limit = limit
    }
    return out
  }
}

/** A stored value that its codec cannot decode is damage, reported as such: DBDB_CORRUPT, the codec's error as cause. */
export function decodeValue<V>(codec: Codec, bytes: Uint8Array): V {
  try {
    return codec.decode(bytes) as V
  } catch (err) {
    if (err instanceof DbdbError) throw err
    throw new DbdbError('DBDB_CORRUPT', `a stored value does not decode with the ${codec.id} codec: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

function mapIterator<A, B>(source: Iterator<A>, f: (a: A) => B): IterableIterator<B> {
  return {
    next(): IteratorResult<B> {
      const r = source.next()
      return r.done ? { done: true, value: undefined } : { done: false, value: f(r.value) }
    },
    return(): IteratorResult<B> {
      source.return?.()
      return { done: true, value: undefined }
    },
    [Symbol.iterator]() {
      return this
    },
  }
}
