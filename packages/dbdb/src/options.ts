// open()'s options: validated once, resolved to concrete tree/codec objects, and
// reconciled with what an existing file records (a file remembers its tree and codecs).

import type { Codec } from '@dbdb/codec'
import type { TreeFactory } from '@dbdb/logical'
import { DbdbError, type Durability, type StorageMeta } from '@dbdb/storage'
import { binaryKeys, type KeyCodec, type KeyEncoding, utf8Keys } from './key-encoding.js'
import {
  CODECS,
  type CodecName,
  choices,
  codecNames,
  codecsByName,
  DEFAULT_CODEC,
  DEFAULT_TREE,
  TREES,
  type TreeName,
  treeNames,
  treesByName,
  type ValueCodecName,
  valueCodecNames,
} from './registry.js'

export interface OpenOptions {
  /** A built-in tree by name ('bplus' for new files by default) or a tree factory. Existing files use what they record. */
  tree?: TreeName | TreeFactory
  /** Codec for tree nodes and (unless valueCodec is given) for values: a built-in one by name ('msgpack' by default) or a Codec. */
  codec?: CodecName | Codec
  /** Codec for user values, when it should differ from `codec`: a built-in one by name ('raw' stores Uint8Array as is) or a Codec. */
  valueCodec?: ValueCodecName | Codec
  /** 'utf8' (default): keys are strings. 'binary': keys are Uint8Array. Not recorded in the file. */
  keyEncoding?: KeyEncoding
  /** 'fsync' (default): commit() returns once the commit is on disk. 'none': faster, a power cut may lose recent commits. */
  durability?: Durability
  /** How long a write waits for another writer's lock before failing with DBDB_LOCKED (default 5000 ms). */
  lockTimeoutMs?: number
  /** Never take the writer lock; writes throw DBDB_READ_ONLY. */
  readOnly?: boolean
  /** Bound on the memory of decoded nodes kept in the cache, in bytes (default 128 MiB). */
  cacheBytes?: number
  /** Create the file when it is missing (default true). */
  createIfMissing?: boolean
  /**
   * Create the file, and fail with DBDB_EXISTS when it exists already (default false).
   * Atomic: of several processes creating the same path at once, one succeeds.
   */
  errorIfExists?: boolean
  /**
   * Bound on the async writes queued and not yet durable (setAsync, deleteAsync,
   * transactionAsync), in bytes: each counts its key and value bytes plus 256.
   * Past it those calls reject at once with DBDB_BUSY and change nothing
   * (default 64 MiB).
   */
  maxQueuedBytes?: number
}

const KNOWN = new Set([
  'tree',
  'codec',
  'valueCodec',
  'keyEncoding',
  'durability',
  'lockTimeoutMs',
  'readOnly',
  'cacheBytes',
  'createIfMissing',
  'errorIfExists',
  'maxQueuedBytes',
])

export interface Resolved {
  tree: TreeFactory | undefined
  codec: Codec | undefined
  valueCodec: Codec | undefined
  keys: KeyCodec<unknown>
  storage: { readOnly: boolean; durability: Durability; lockTimeoutMs: number; create: boolean }
  errorIfExists: boolean
  cacheBytes: number | undefined
  maxQueuedBytes: number | undefined
}

export function resolveOptions(options: OpenOptions = {}): Resolved {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`unknown option ${JSON.stringify(key)}; known: ${[...KNOWN].join(', ')}`)
  }
  const keyEncoding = options.keyEncoding ?? 'utf8'
  if (keyEncoding !== 'utf8' && keyEncoding !== 'binary') throw new TypeError(`keyEncoding must be 'utf8' or 'binary'`)
  // A string such as '200' (read from an environment variable) would pass a `>= 0` test
  // and make the lock's deadline a string: a wait without end.
  checkAmount('lockTimeoutMs', options.lockTimeoutMs)
  // A bound, not a count: a fraction (a tenth of the machine's memory) is fine.
  checkAmount('cacheBytes', options.cacheBytes)
  for (const name of ['readOnly', 'createIfMissing', 'errorIfExists'] as const) {
    const value: unknown = options[name]
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, not ${describeValue(value)}`)
  }
  checkAmount('maxQueuedBytes', options.maxQueuedBytes)
  if (options.durability !== undefined && options.durability !== 'fsync' && options.durability !== 'none') {
    throw new TypeError(`durability must be 'fsync' or 'none'`)
  }
  if (options.errorIfExists === true && (options.readOnly === true || options.createIfMissing === false)) {
    throw new TypeError('errorIfExists creates the file: it cannot be combined with readOnly or createIfMissing: false')
  }
  const codec = options.codec === undefined ? undefined : toCodec(options.codec, 'codec')
  return {
    tree: options.tree === undefined ? undefined : toTree(options.tree),
    codec,
    valueCodec: options.valueCodec === undefined ? undefined : toCodec(options.valueCodec, 'valueCodec'),
    keys: keyEncoding === 'binary' ? binaryKeys : utf8Keys,
    storage: {
      readOnly: options.readOnly === true,
      durability: options.durability ?? 'fsync',
      lockTimeoutMs: options.lockTimeoutMs ?? 5000,
      create: options.createIfMissing !== false,
    },
    errorIfExists: options.errorIfExists === true,
    cacheBytes: options.cacheBytes,
    maxQueuedBytes: options.maxQueuedBytes,
  }
}

/** A number >= 0 (Infinity: no bound), or undefined. */
function checkAmount(name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, not ${describeValue(value)}`)
  if (!(value >= 0)) throw new RangeError(`${name} must be a number >= 0 (or Infinity), not ${value}`)
}

function describeValue(value: unknown): string {
  return typeof value === 'string'
    ? `the string ${JSON.stringify(value)}`
    : value === null
      ? 'null'
      : Array.isArray(value)
        ? 'an array'
        : typeof value
}

function toTree(tree: unknown): TreeFactory {
  if (typeof tree === 'string') {
    const factory = treesByName.get(tree)
    if (factory === undefined) throw new TypeError(`unknown tree ${JSON.stringify(tree)}; use ${choices(treeNames, 'a tree factory')}`)
    return factory
  }
  if (
    typeof tree === 'object' &&
    tree !== null &&
    typeof (tree as TreeFactory).open === 'function' &&
    typeof (tree as TreeFactory).id === 'string'
  ) {
    return tree as TreeFactory
  }
  throw new TypeError(`tree must be ${choices(treeNames, 'a tree factory')}`)
}

function toCodec(codec: unknown, what: string): Codec {
  if (typeof codec === 'string') {
    const names: readonly string[] = what === 'codec' ? codecNames : valueCodecNames
    const found = codecsByName.get(codec)
    if (found === undefined || !names.includes(codec)) {
      throw new TypeError(`unknown ${what} ${JSON.stringify(codec)}; use ${choices(names, 'a Codec')}`)
    }
    return found
  }
  const c = codec as Codec
  if (typeof c === 'object' && c !== null && typeof c.id === 'string' && typeof c.encode === 'function' && typeof c.decode === 'function') {
    return c
  }
  throw new TypeError(`${what} must be a codec name or an object { id, encode, decode }`)
}

/** What a new file records. */
export function metaFor(r: Resolved): StorageMeta {
  const codec = r.codec ?? CODECS[DEFAULT_CODEC].codec
  return {
    format: 'dbdb',
    tree: (r.tree ?? TREES[DEFAULT_TREE]).id,
    codec: codec.id,
    values: (r.valueCodec ?? codec).id,
  }
}

export interface Composition {
  tree: TreeFactory
  codec: Codec
  valueCodec: Codec
}

/** Checks the options against what the file records and fills in what was left out. */
export function reconcile(path: string, meta: StorageMeta, r: Resolved): Composition {
  if (meta.format !== 'dbdb' || !meta.tree || !meta.codec || !meta.values) {
    throw new DbdbError('DBDB_NOT_A_DATABASE', `${path} is a storage file without DBDB's tree and codec records`)
  }
  const pick = <T extends { id: string }>(what: string, recorded: string, given: T | undefined, known: ReadonlyMap<string, T>): T => {
    if (given !== undefined) {
      if (given.id !== recorded) {
        throw new DbdbError(
          'DBDB_MISMATCH',
          `${path} was created with ${what} '${recorded}', not '${given.id}'; open it without the ${what} option or with '${recorded}'`,
        )
      }
      return given
    }
    const found = known.get(recorded)
    if (found === undefined) {
      throw new DbdbError('DBDB_MISMATCH', `${path} uses the ${what} '${recorded}', which is not built in; pass it as options.${what}`)
    }
    return found
  }
  const codec = pick('codec', meta.codec, r.codec, codecsByName)
  return {
    tree: pick('tree', meta.tree, r.tree, treesByName),
    codec,
    // A custom codec given as `codec` also serves the values when the file says so.
    valueCodec: pick('valueCodec', meta.values, r.valueCodec ?? (r.codec?.id === meta.values ? r.codec : undefined), codecsByName),
  }
}
