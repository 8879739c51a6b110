// A position in one DBDB view (a snapshot) within Level's range options. Seeking
// narrows the range and restarts the view's lazy iteration, so an iterator keeps
// reading the commit it was created on whatever is written meanwhile.

import { MAX_KEY_BYTES, type Range, type Snapshot } from '@dbdb/dbdb'
import { type Encoded, toBytes } from './formats.js'

/** The range options abstract-level hands to the private API, already encoded. */
export interface EncodedRange {
  gt?: Encoded
  gte?: Encoded
  lt?: Encoded
  lte?: Encoded
  reverse: boolean
}

interface Bound {
  key: Uint8Array
  inclusive: boolean
}

export type View = Snapshot<Uint8Array, Uint8Array>

/** Level's range as two bounds; as in LevelDB and DBDB, gte wins over gt and lte over lt. */
function lowerOf(range: EncodedRange): Bound | undefined {
  if (range.gte !== undefined) return { key: toBytes(range.gte), inclusive: true }
  if (range.gt !== undefined) return { key: toBytes(range.gt), inclusive: false }
  return undefined
}

function upperOf(range: EncodedRange): Bound | undefined {
  if (range.lte !== undefined) return { key: toBytes(range.lte), inclusive: true }
  if (range.lt !== undefined) return { key: toBytes(range.lt), inclusive: false }
  return undefined
}

/**
 * DBDB refuses bounds longer than MAX_KEY_BYTES, but no stored key is that long, so
 * such a bound B has an exact stand-in: its prefix P of MAX_KEY_BYTES. A stored key
 * k is above B exactly when k > P, and below B exactly when k <= P.
 */
export function dbdbRange(range: EncodedRange): Range<Uint8Array> {
  const out: Range<Uint8Array> = { reverse: range.reverse }
  const lower = lowerOf(range)
  const upper = upperOf(range)
  if (lower !== undefined) {
    if (lower.key.byteLength > MAX_KEY_BYTES) out.gt = lower.key.subarray(0, MAX_KEY_BYTES)
    else if (lower.inclusive) out.gte = lower.key
    else out.gt = lower.key
  }
  if (upper !== undefined) {
    if (upper.key.byteLength > MAX_KEY_BYTES) out.lte = upper.key.subarray(0, MAX_KEY_BYTES)
    else if (upper.inclusive) out.lte = upper.key
    else out.lt = upper.key
  }
  return out
}

/** Raw [key, value] pairs; the value is undefined when the cursor reads keys only. */
export type RawEntry = [Uint8Array, Uint8Array | undefined]

export class Cursor {
  readonly #view: View
  readonly #ownsView: boolean
  readonly #values: boolean
  #range: EncodedRange
  /** Opened at the first read: abstract-level checks an explicit snapshot is still open only then. */
  #source: Iterator<RawEntry> | undefined

  /**
   * @param ownsView close the view with the cursor (an implicit snapshot made for
   * this iterator), rather than leave it to its owner (an explicit snapshot).
   * @param values read values too; a key iterator leaves them undecoded.
   */
  constructor(view: View, ownsView: boolean, range: EncodedRange, values: boolean) {
    this.#view = view
    this.#ownsView = ownsView
    this.#values = values
    // Only the bounds: Level's options object also carries encodings, limit, snapshot.
    const { gt, gte, lt, lte, reverse } = range
    this.#range = { gt, gte, lt, lte, reverse }
  }

  /** The next entry, or undefined at the end of the range. */
  next(): RawEntry | undefined {
    this.#source ??= this.#open()
    const r = this.#source.next()
    return r.done ? undefined : r.value
  }

  /** Up to `n` entries (fewer only at the end of the range). */
  take<T>(n: number, project: (entry: RawEntry) => T): T[] {
    const out: T[] = []
    while (out.length < n) {
      const entry = this.next()
      if (entry === undefined) break
      out.push(project(entry))
    }
    return out
  }

  /**
   * Moves to the first key at or past `target` in the iteration's direction. A
   * target outside the original range leaves the cursor at its end.
   */
  seek(target: Encoded): void {
    const key = toBytes(target)
    const range = { ...this.#range }
    if (range.reverse) {
      const upper = upperOf(range)
      if (upper === undefined || Buffer.compare(key, upper.key) < 0) {
        delete range.lt
        range.lte = key
      }
    } else {
      const lower = lowerOf(range)
      if (lower === undefined || Buffer.compare(key, lower.key) > 0) {
        delete range.gt
        range.gte = key
      }
    }
    this.#source?.return?.()
    this.#source = undefined
    this.#range = range
  }

  close(): void {
    this.#source?.return?.()
    this.#source = undefined
    if (this.#ownsView) this.#view.close()
  }

  #open(): Iterator<RawEntry> {
    const range = dbdbRange(this.#range)
    if (this.#values) return this.#view.entries(range)
    const keys = this.#view.keys(range)
    return {
      next: () => {
        const r = keys.next()
        if (r.done) return { done: true, value: undefined }
        return { done: false, value: [r.value, undefined] }
      },
      return: () => {
        keys.return?.()
        return { done: true, value: undefined }
      },
    }
  }
}
