// The three iterator kinds abstract-level asks for (entries, keys, values), each a
// thin shell over a Cursor that converts DBDB's bytes to the format Level asked for.
// `Db` is the database that made the iterator (its `db`), whatever its class.

import { AbstractIterator, AbstractKeyIterator, type AbstractSnapshot, AbstractValueIterator } from 'abstract-level'
import { Cursor, type EncodedRange, type RawEntry, type View } from './cursor.js'
import { type Encoded, type Format, fromBytes } from './formats.js'

/** The options abstract-level passes to _iterator(), _keys() and _values(). */
export interface PrivateIteratorOptions extends EncodedRange {
  limit: number
  keys?: boolean
  values?: boolean
  keyEncoding: Format
  valueEncoding: Format
  snapshot?: AbstractSnapshot
}

export class DbdbIterator<Db> extends AbstractIterator<Db, Encoded, Encoded> {
  readonly #cursor: Cursor
  readonly #project: (entry: RawEntry) => [Encoded | undefined, Encoded | undefined]

  constructor(db: Db, options: PrivateIteratorOptions, view: View, ownsView: boolean) {
    super(db, options as never)
    const keys = options.keys !== false
    const values = options.values !== false
    this.#cursor = new Cursor(view, ownsView, options, values)
    const { keyEncoding, valueEncoding } = options
    this.#project = ([k, v]) => [
      keys ? fromBytes(k, keyEncoding) : undefined,
      values && v !== undefined ? fromBytes(v, valueEncoding) : undefined,
    ]
  }

  async _next(): Promise<[Encoded | undefined, Encoded | undefined] | undefined> {
    const entry = this.#cursor.next()
    return entry === undefined ? undefined : this.#project(entry)
  }

  async _nextv(size: number): Promise<Array<[Encoded | undefined, Encoded | undefined]>> {
    return this.#cursor.take(size, this.#project)
  }

  async _all(): Promise<Array<[Encoded | undefined, Encoded | undefined]>> {
    return this.#cursor.take(this.limit - this.count, this.#project)
  }

  _seek(target: Encoded): void {
    this.#cursor.seek(target)
  }

  async _close(): Promise<void> {
    this.#cursor.close()
  }
}

export class DbdbKeyIterator<Db> extends AbstractKeyIterator<Db, Encoded> {
  readonly #cursor: Cursor
  readonly #project: (entry: RawEntry) => Encoded

  constructor(db: Db, options: PrivateIteratorOptions, view: View, ownsView: boolean) {
    super(db, options as never)
    this.#cursor = new Cursor(view, ownsView, options, false)
    const { keyEncoding } = options
    this.#project = ([k]) => fromBytes(k, keyEncoding)
  }

  async _next(): Promise<Encoded | undefined> {
    const entry = this.#cursor.next()
    return entry === undefined ? undefined : this.#project(entry)
  }

  async _nextv(size: number): Promise<Encoded[]> {
    return this.#cursor.take(size, this.#project)
  }

  async _all(): Promise<Encoded[]> {
    return this.#cursor.take(this.limit - this.count, this.#project)
  }

  _seek(target: Encoded): void {
    this.#cursor.seek(target)
  }

  async _close(): Promise<void> {
    this.#cursor.close()
  }
}

export class DbdbValueIterator<Db> extends AbstractValueIterator<Db, Encoded, Encoded> {
  readonly #cursor: Cursor
  readonly #project: (entry: RawEntry) => Encoded

  constructor(db: Db, options: PrivateIteratorOptions, view: View, ownsView: boolean) {
    super(db, options as never)
    this.#cursor = new Cursor(view, ownsView, options, true)
    const { valueEncoding } = options
    this.#project = ([, v]) => fromBytes(v!, valueEncoding)
  }

  async _next(): Promise<Encoded | undefined> {
    const entry = this.#cursor.next()
    return entry === undefined ? undefined : this.#project(entry)
  }

  async _nextv(size: number): Promise<Encoded[]> {
    return this.#cursor.take(size, this.#project)
  }

  async _all(): Promise<Encoded[]> {
    return this.#cursor.take(this.limit - this.count, this.#project)
  }

  _seek(target: Encoded): void {
    this.#cursor.seek(target)
  }

  async _close(): Promise<void> {
    this.#cursor.close()
  }
}
