// DbdbLevel: the abstract-level database over one DBDB file. abstract-level owns the
// public API (encodings, deferred open, sublevels, hooks, events); this class maps
// its private hooks onto a DBDB handle: writes are group-committed DBDB transactions, and every
// read goes to a view that was fixed when the read was called.

import { mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { type Database, type OpenOptions as DbdbOpenOptions, MAX_KEY_BYTES, open } from '@dbdb/dbdb'
import { type AbstractDatabaseOptions, AbstractLevel, type AbstractOpenOptions, type AbstractSnapshot } from 'abstract-level'
import { dbdbRange, type EncodedRange, type View } from './cursor.js'
import { invalidKey, levelError, notOpen } from './errors.js'
import { type Encoded, type Format, fromBytes, storable, toBytes } from './formats.js'
import { DbdbIterator, DbdbKeyIterator, DbdbValueIterator, type PrivateIteratorOptions } from './iterator.js'
import { DbdbSnapshot } from './snapshot.js'

/** The options of open() that reach DBDB unchanged. */
export interface DbdbOptions {
  /** DBDB's tree for a new file, as DBDB's open() takes it: a built-in tree's name or a tree factory. An existing file uses what it records. */
  tree?: DbdbOpenOptions['tree']
  /** Codec for DBDB's tree nodes, as DBDB's open() takes it: a built-in codec's name or a Codec. Values are always stored as raw bytes. */
  codec?: DbdbOpenOptions['codec']
  /** 'fsync' (default): every write is on disk when its promise resolves. 'none': faster; a power cut may lose recent writes. */
  durability?: DbdbOpenOptions['durability']
  /** How long a write waits for another process's writer lock before failing with LEVEL_LOCKED (default 5000 ms). */
  lockTimeoutMs?: number
  /** Bound on DBDB's cache of decoded nodes, in bytes (default 128 MiB). */
  cacheBytes?: number
  /** Never take the writer lock; writes fail with LEVEL_READONLY. */
  readOnly?: boolean
}

export interface OpenOptions extends AbstractOpenOptions, DbdbOptions {}

export interface DatabaseOptions<K, V> extends AbstractDatabaseOptions<K, V>, DbdbOptions {}

const PASSED_THROUGH = ['tree', 'codec', 'durability', 'lockTimeoutMs', 'cacheBytes', 'readOnly'] as const

/** A DbdbLevel's keys and values are Level's encoded bytes, stored as they are. */
type Handle = Database<Uint8Array, Uint8Array>

interface ReadOptions {
  keyEncoding: Format
  valueEncoding: Format
  snapshot?: AbstractSnapshot
}

/** What a write takes from Level's options: `sync` (classic-level's meaning). */
interface WriteOptions {
  sync?: boolean | undefined
}

interface BatchOperation {
  type: 'put' | 'del'
  key: Encoded
  value?: Encoded
}

interface PrivateClearOptions extends EncodedRange {
  limit: number
  snapshot?: AbstractSnapshot
}

/**
 * An abstract-level database stored in one DBDB file: `new DbdbLevel('app.db')`
 * where a program had `new ClassicLevel('app-dir')`.
 *
 * @template KDefault The default type of keys if not overridden on operations.
 * @template VDefault The default type of values if not overridden on operations.
 */
export class DbdbLevel<KDefault = string, VDefault = string> extends AbstractLevel<string | Buffer | Uint8Array, KDefault, VDefault> {
  readonly #location: string
  #handle: Handle | undefined

  /**
   * @param location Path of the database file (not a directory, unlike LevelDB).
   * @param options Level's options (encodings, createIfMissing, errorIfExists) and
   * DBDB's `tree`, `codec`, `durability`, `lockTimeoutMs`, `cacheBytes`, `readOnly`.
   */
  constructor(location: string, options?: DatabaseOptions<KDefault, VDefault>) {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    super(manifest(), options)
    this.#location = location
  }

  /** The database file's path, as given to the constructor. */
  get location(): string {
    return this.#location
  }

  async _open(options: OpenOptions & { createIfMissing: boolean; errorIfExists: boolean }): Promise<void> {
    const location = this.#location
    const exists = statSync(location, { throwIfNoEntry: false }) !== undefined
    if (exists && options.errorIfExists) throw new Error(`${location} exists (errorIfExists is true)`)
    if (!exists) {
      if (!options.createIfMissing) throw new Error(`${location} does not exist (createIfMissing is false)`)
      // As classic-level creates its directory: the file's folder is made when missing.
      if (options.readOnly !== true) mkdirSync(dirname(location), { recursive: true })
    }
    const dbdbOptions: DbdbOpenOptions & { keyEncoding: 'binary' } = {
      keyEncoding: 'binary',
      valueCodec: 'raw',
      createIfMissing: options.createIfMissing,
      // The check above gives the usual message; this one makes checking and creating
      // one atomic step, so of two processes creating the location at once, one fails.
      errorIfExists: options.errorIfExists && options.readOnly !== true,
    }
    for (const name of PASSED_THROUGH) {
      if (options[name] !== undefined) (dbdbOptions as unknown as Record<string, unknown>)[name] = options[name]
    }
    try {
      this.#handle = open<Uint8Array>(location, dbdbOptions)
    } catch (err) {
      throw levelError(err)
    }
  }

  async _close(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    handle?.close()
  }

  async _get(key: Encoded, options: ReadOptions): Promise<Encoded | undefined> {
    return this._getSync(key, options)
  }

  _getSync(key: Encoded, options: ReadOptions): Encoded | undefined {
    const k = toBytes(key)
    if (!storable(k)) return undefined
    try {
      const value = this.#reader(options).get(k)
      return value === undefined ? undefined : fromBytes(value, options.valueEncoding)
    } catch (err) {
      throw levelError(err)
    }
  }

  async _getMany(keys: Encoded[], options: ReadOptions): Promise<Array<Encoded | undefined>> {
    try {
      // One reader for all keys: they are read from the same commit.
      const reader = this.#reader(options)
      return keys.map((key) => {
        const k = toBytes(key)
        const value = storable(k) ? reader.get(k) : undefined
        return value === undefined ? undefined : fromBytes(value, options.valueEncoding)
      })
    } catch (err) {
      throw levelError(err)
    }
  }

  async _has(key: Encoded, options: ReadOptions): Promise<boolean> {
    const k = toBytes(key)
    if (!storable(k)) return false
    try {
      return this.#reader(options).has(k)
    } catch (err) {
      throw levelError(err)
    }
  }

  async _hasMany(keys: Encoded[], options: ReadOptions): Promise<boolean[]> {
    try {
      const reader = this.#reader(options)
      return keys.map((key) => {
        const k = toBytes(key)
        return storable(k) && reader.has(k)
      })
    } catch (err) {
      throw levelError(err)
    }
  }

  async _put(key: Encoded, value: Encoded, options?: WriteOptions): Promise<void> {
    await this._batch([{ type: 'put', key, value }], options)
  }

  async _del(key: Encoded, options?: WriteOptions): Promise<void> {
    await this._batch([{ type: 'del', key }], options)
  }

  /**
   * One DBDB transaction, group-committed (transactionAsync): all operations are
   * committed together or none is, and writes made concurrently share one fdatasync.
   * With durability 'none', `sync: true` syncs the file after it (with 'fsync' every
   * write is synced before its promise resolves).
   */
  async _batch(operations: BatchOperation[], options?: WriteOptions): Promise<void> {
    const handle = this.#open()
    try {
      await handle.transactionAsync(() => {
        for (const op of operations) {
          const k = toBytes(op.key)
          if (op.type === 'put') {
            if (!storable(k)) throw invalidKey(`DBDB keys are at most ${MAX_KEY_BYTES} bytes; this one is ${k.byteLength}`)
            handle.set(k, toBytes(op.value!))
          } else if (storable(k)) {
            handle.delete(k)
          }
        }
      })
      if (options?.sync === true && handle.durability === 'none') handle.sync()
    } catch (err) {
      throw levelError(err)
    }
  }

  /**
   * Deletes the range as every write called before clear() leaves it (or as the
   * snapshot option shows it), in one transaction that takes its turn among the
   * async writes: writes called after clear() are never undone by it.
   */
  async _clear(options: PrivateClearOptions): Promise<void> {
    const handle = this.#open()
    const range = dbdbRange(options)
    if (options.limit >= 0) range.limit = options.limit
    const snapshot = options.snapshot === undefined ? undefined : viewOf(options.snapshot)
    try {
      await handle.transactionAsync(() => {
        // Keys are listed first: deleting while iterating the same tree would move under the iterator.
        for (const k of [...(snapshot ?? handle).keys(range)]) handle.delete(k)
      })
    } catch (err) {
      throw levelError(err)
    }
  }

  _snapshot(options: object): DbdbSnapshot {
    try {
      return new DbdbSnapshot(this.#open().snapshot(), options)
    } catch (err) {
      throw levelError(err)
    }
  }

  _iterator(options: PrivateIteratorOptions): DbdbIterator<this> {
    const [view, owned] = this.#iterationView(options)
    return new DbdbIterator(this, options, view, owned)
  }

  _keys(options: PrivateIteratorOptions): DbdbKeyIterator<this> {
    const [view, owned] = this.#iterationView(options)
    return new DbdbKeyIterator(this, options, view, owned)
  }

  _values(options: PrivateIteratorOptions): DbdbValueIterator<this> {
    const [view, owned] = this.#iterationView(options)
    return new DbdbValueIterator(this, options, view, owned)
  }

  /** The DBDB handle; abstract-level only calls the private API while the database is open. */
  #open(): Handle {
    if (this.#handle === undefined) throw notOpen()
    return this.#handle
  }

  /** Where a read goes: the explicit snapshot, or the handle (which reads the newest commit). */
  #reader(options: { snapshot?: AbstractSnapshot }): Handle | View {
    return options.snapshot === undefined ? this.#open() : viewOf(options.snapshot)
  }

  /**
   * An iterator's implicit snapshot: a DBDB view of the newest commit, made now and
   * closed with the iterator. With an explicit snapshot, that snapshot's view.
   */
  #iterationView(options: { snapshot?: AbstractSnapshot }): [View, boolean] {
    if (options.snapshot !== undefined) return [viewOf(options.snapshot), false]
    try {
      return [this.#open().snapshot(), true]
    } catch (err) {
      throw levelError(err)
    }
  }
}

/** What DBDB really supports; abstract-level adds the encodings it can transcode to these. */
function manifest() {
  return {
    encodings: { buffer: true, view: true, utf8: true },
    has: true,
    getSync: true,
    seek: true,
    implicitSnapshots: true,
    explicitSnapshots: true,
    permanence: true,
    createIfMissing: true,
    errorIfExists: true,
    // Every read is synchronous: there is nothing in flight for a signal to abort.
    signals: { iterators: false },
  }
}

function viewOf(snapshot: AbstractSnapshot): View {
  if (!(snapshot instanceof DbdbSnapshot)) throw new TypeError('The snapshot option must be a snapshot of a DbdbLevel database')
  return snapshot.view
}
