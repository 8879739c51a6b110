// salvage(): copies what can still be read from a damaged database into a new one.
// It composes: the source opens read-only (at its newest intact commit, see
// ARCHITECTURE.md "Recovery"), and reading goes through ranges of the public
// iteration, so it works for any tree. A damaged record makes a contiguous range of
// keys unreadable (a node and everything below it); salvage reads up to it from
// both sides and looks for readable keys between by probing keys in the middle.

import { rmSync } from 'node:fs'
import { type DamageReport, isDbdbError } from '@dbdb/storage'
import type { Database } from './database.js'
import { MAX_KEY_BYTES } from './key-encoding.js'
import { open } from './open.js'
import type { OpenOptions } from './options.js'
import type { CodecName, TreeName, ValueCodecName } from './registry.js'

export interface SalvageOptions {
  /** The source's tree, codec and value codec, when they are not built-in ones (then they are read from the file). */
  tree?: OpenOptions['tree']
  codec?: OpenOptions['codec']
  valueCodec?: OpenOptions['valueCodec']
}

/** Keys that could not be read: every key greater than `after` and less than `before`. */
export interface LostRange {
  /** A lower bound (exclusive), the last key read below the range; undefined: from the first key. */
  readonly after: Uint8Array | undefined
  /** An upper bound (exclusive), the first key read above the range; undefined: to the last key. */
  readonly before: Uint8Array | undefined
  /** File addresses of the damaged records that made it unreadable. */
  readonly addresses: readonly number[]
}

export interface SalvageReport {
  /** The source commit copied: the newest intact one. */
  readonly txid: number
  /** Keys copied into the new database. */
  readonly keys: number
  /** What could not be read; empty when every key was copied. */
  readonly lost: readonly LostRange[]
  /** Damage of the source file itself (verify()'s report). */
  readonly damage: readonly DamageReport[]
}

/** Ranges probed at most, per salvage: a bound on the work in a badly damaged tree. */
const PROBES = 4096
/** Keys written to the new database per commit. */
const BATCH = 10_000

/**
 * Copies every readable key of the newest intact commit of the database at `src`
 * into a new database at `dest`, created exclusively (DBDB_EXISTS if anything is
 * there; `src` is never written). Damaged records cost the keys below them, which
 * the report lists as key ranges with the damaged addresses. Keys are copied with
 * the source's tree and codecs; the new file's txids start over.
 */
export function salvage(src: string, dest: string, options: SalvageOptions = {}): SalvageReport {
  if (typeof src !== 'string' || src === '') throw new TypeError('src must be a non-empty string')
  if (typeof dest !== 'string' || dest === '') throw new TypeError('dest must be a non-empty string')
  const source = open(src, { ...options, readOnly: true, createIfMissing: false, keyEncoding: 'binary' })
  try {
    const damage = source.check().storage.damage
    const { tree, codec, valueCodec } = source.composition
    const target = open(dest, {
      // Names the source opened with: built in, or given in `options`.
      tree: options.tree ?? (tree as TreeName),
      codec: options.codec ?? (codec as CodecName),
      valueCodec: options.valueCodec ?? (valueCodec as ValueCodecName),
      keyEncoding: 'binary',
      errorIfExists: true,
    })
    let keys = 0
    try {
      const copy = (key: Uint8Array, value: unknown): void => {
        target.set(key, value)
        if (++keys % BATCH === 0) target.commit()
      }
      const lost = new Salvager(source, copy).run()
      target.commit()
      target.close()
      return { txid: source.txid, keys, lost, damage }
    } catch (err) {
      // DEST was created by this call (exclusively): a half-made copy is not left behind.
      target.close()
      rmSync(dest, { force: true })
      throw err
    }
  } finally {
    source.close()
  }
}

interface Bound {
  readonly key: Uint8Array
  readonly inclusive: boolean
}

interface Gap {
  readonly lo: Bound | undefined
  readonly hi: Uint8Array | undefined
  readonly addresses: number[]
}

class Salvager {
  readonly #db: Database<Uint8Array>
  readonly #copy: (key: Uint8Array, value: unknown) => void
  readonly #lost: Gap[] = []
  #probes = 0

  constructor(db: Database<Uint8Array>, copy: (key: Uint8Array, value: unknown) => void) {
    this.#db = db
    this.#copy = copy
  }

  run(): LostRange[] {
    this.#range(undefined, undefined)
    // Sub-ranges split at a probe key share that key as a bound: join them back.
    const joined: Gap[] = []
    for (const gap of this.#lost.sort((a, b) => compareBound(a.lo, b.lo))) {
      const last = joined.at(-1)
      if (last !== undefined && last.hi !== undefined && gap.lo?.inclusive && equalKeys(last.hi, gap.lo.key)) {
        joined[joined.length - 1] = { lo: last.lo, hi: gap.hi, addresses: [...new Set([...last.addresses, ...gap.addresses])] }
      } else joined.push(gap)
    }
    return joined.map((g) => Object.freeze({ after: g.lo?.key, before: g.hi, addresses: Object.freeze(g.addresses) }))
  }

  /** Copies the readable keys in (lo, hi), lo inclusive when it says so; notes what it cannot read. */
  #range(lo: Bound | undefined, hi: Uint8Array | undefined): void {
    this.#probes++
    // Forward from lo up to the first damage...
    let a = lo
    const forward = this.#read({ ...lowerOf(lo), ...(hi === undefined ? {} : { lt: hi }) }, (key) => (a = { key, inclusive: false }))
    if (forward === undefined) return
    // ...and backward from hi down to the last damage.
    let b = hi
    const backward = this.#read({ ...lowerOf(a), ...(hi === undefined ? {} : { lt: hi }), reverse: true }, (key) => (b = key))
    if (backward === undefined) return
    const addresses = [...new Set([forward, backward])]
    // The same record stops both: everything between is below it (a node covers one
    // contiguous range of keys). Otherwise look for readable keys between the two.
    const middle = forward === backward || this.#probes >= PROBES ? undefined : between(a?.key, b)
    if (middle === undefined) {
      this.#lost.push({ lo: a, hi: b, addresses })
      return
    }
    this.#range(a, middle)
    this.#range({ key: middle, inclusive: true }, b)
  }

  /** Copies the entries of `range` until one cannot be read; returns that damage's address (-1 if unknown), or undefined if none. */
  #read(range: Parameters<Database<Uint8Array>['entries']>[0], onKey: (key: Uint8Array) => void): number | undefined {
    try {
      for (const [key, value] of this.#db.entries(range)) {
        this.#copy(key, value)
        onKey(key)
      }
      return undefined
    } catch (err) {
      if (!isDbdbError(err, 'DBDB_CORRUPT')) throw err
      return err.address ?? -1
    }
  }
}

function lowerOf(bound: Bound | undefined): { gt?: Uint8Array; gte?: Uint8Array } {
  if (bound === undefined) return {}
  return bound.inclusive ? { gte: bound.key } : { gt: bound.key }
}

/**
 * A key strictly between `lo` and `hi` (undefined: the first key, after every key),
 * near the middle when both are read as base-256 fractions; undefined if there is
 * none within the longest key allowed.
 */
export function between(lo: Uint8Array | undefined, hi: Uint8Array | undefined): Uint8Array | undefined {
  const low = lo ?? new Uint8Array(0)
  for (let length = Math.max(low.length, hi?.length ?? 0) + 1; length <= MAX_KEY_BYTES; length++) {
    const a = toInteger(low, length)
    const b = hi === undefined ? 1n << BigInt(8 * length) : toInteger(hi, length)
    const mid = (a + b) / 2n
    if (mid > a && mid < b) return fromInteger(mid, length)
    if (hi !== undefined && length > hi.length + 1 && length > low.length + 1) return undefined
  }
  return undefined
}

function toInteger(key: Uint8Array, length: number): bigint {
  let n = 0n
  for (let i = 0; i < length; i++) n = (n << 8n) | BigInt(key[i] ?? 0)
  return n
}

function fromInteger(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return out
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

function equalKeys(a: Uint8Array, b: Uint8Array): boolean {
  return compareKeys(a, b) === 0
}

function compareBound(a: Bound | undefined, b: Bound | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -1
  if (b === undefined) return 1
  return compareKeys(a.key, b.key) || (a.inclusive === b.inclusive ? 0 : a.inclusive ? -1 : 1)
}
