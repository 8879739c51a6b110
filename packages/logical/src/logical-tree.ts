// The contract every tree implements, so that trees are interchangeable under
// @dbdb/dbdb and a tree written elsewhere can plug in and prove itself with the
// conformance suite (@dbdb/logical/testing).

import type { Storage } from '@dbdb/storage'
import type { Key, Range } from './keys.js'
import type { NodeCache } from './node-cache.js'
import type { NodeCodec } from './node-store.js'

export type Entry = [key: Key, value: Uint8Array]

/**
 * A persistent (immutable, path-copying) ordered map from byte keys to byte values.
 * Writes make new nodes and never change stored or committed ones, so iterators and
 * savepoints keep seeing the state they started from.
 */
export interface LogicalTree {
  /**
   * The stored bytes, which may be shared with the cache or with the open
   * transaction's nodes: callers must not modify them, and must copy them before the
   * next set(), delete() or rollbackTo() if they keep them (an edit may move them).
   */
  get(key: Key): Uint8Array | undefined
  has(key: Key): boolean
  /**
   * The tree keeps `key` and `value` as given, unless it says `copiesOnSet`: callers
   * pass bytes they will not change.
   */
  /** A set() or delete() that throws (a node that cannot be read) leaves the tree as it was. */
  set(key: Key, value: Uint8Array): void
  /** Optional: true when set() copies key and value, so callers may reuse their buffers at once. */
  readonly copiesOnSet?: boolean
  /** True if the key existed. */
  delete(key: Key): boolean
  readonly size: number
  /** Entries in key order within `range`, lazily; sees the tree as it was when called. */
  entries(range?: Range): IterableIterator<Entry>
  /** Number of keys within `range`, at most `range.limit` (`reverse` changes nothing). */
  count(range?: Range): number
  /** True when there are changes not yet stored by commit(). */
  readonly dirty: boolean
  /**
   * Stores the dirty nodes leaf-to-root through the storage, which the caller has
   * locked, and returns the root's address (0: empty). The caller then commits that
   * root with storage.commit().
   */
  commit(): number
  /** An opaque mark of the current state; rollbackTo(mark) returns to it (nested transactions). */
  savepoint(): unknown
  rollbackTo(savepoint: unknown): void
  /** Throws if any invariant (order, balance, counts, fill) is broken. Walks the whole tree. */
  check(): void
  /** Height of the tree (0 when empty): for stats and tests. */
  readonly height: number
}

export interface TreeContext {
  readonly storage: Storage
  /** How nodes become bytes. */
  readonly codec: NodeCodec
  /**
   * Decoded nodes by address, shared by the trees opened on one storage handle. It is
   * keyed by address alone, so one cache serves one tree type and one codec.
   */
  readonly cache: NodeCache
}

export interface TreeFactory {
  /**
   * Stable name recorded in database files, and how a file finds its tree again.
   * Third-party trees: use a distinct, prefixed id (e.g. 'acme-skiplist'), never a built-in one.
   */
  readonly id: string
  /** A tree whose committed state is the record at `root` (0: an empty tree). */
  open(context: TreeContext, root: number): LogicalTree
  /**
   * Optional: writes a packed, balanced tree holding `entries` (in strictly increasing
   * key order; `count` of them) bottom-up through `context.storage`, which the caller
   * has locked, children before parents, and returns its root address (0: empty).
   * Compaction uses it; a tree without it is rebuilt by inserting in batches.
   */
  build?(context: TreeContext, entries: Iterable<Entry>, count: number): number
}
