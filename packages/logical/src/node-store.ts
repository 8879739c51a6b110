// The lazy address-or-object reference and the shared commit walk.
//
// A child pointer is either a number (the file address of a stored, clean record)
// or the object itself (a dirty node or value made by the open transaction). A
// tree loads only the nodes it touches, through a cache keyed by address, and a
// commit stores only the dirty ones, children before parents, so that every
// parent can record its children's addresses: leaf-to-root, as in the original.

import { corrupt, DbdbError, isSystemError, type Storage } from '@dbdb/storage'
import type { NodeCache } from './node-cache.js'

/** A stored record's address, or the dirty object itself. */
export type NodeRef<N> = number | N

/** A value kept in a record of its own (B+ large values, the binary tree's values). */
export type ValueRef = number | Uint8Array

/** The codec shape a tree needs (structurally the same as @dbdb/codec's Codec). */
export interface NodeCodec {
  readonly id: string
  encode(value: unknown): Uint8Array
  decode(bytes: Uint8Array): unknown
  /** Used instead of decode when present: nodes are never modified, so they may share the record's memory. */
  decodeShared?(bytes: Uint8Array): unknown
}

/** What a tree teaches the shared walk about its nodes. */
export interface NodeType<N> {
  /**
   * Stores every dirty child (and dirty out-of-line value) of `node` through
   * `store`/`storeValue`, replacing each such pointer IN PLACE by the returned address.
   * A node's content never changes, only how its children are held, so iterators
   * still holding the object keep working.
   */
  storeChildren(node: N, store: NodeStore<N>): void
  /** The plain structure the codec writes; every child pointer is an address by now. */
  toRaw(node: N): unknown
  /** Validates and rebuilds a node read at `address`. Throws (any error) on malformed input. */
  fromRaw(raw: unknown, address: number, store: NodeStore<N>): N
  /**
   * Optional: the node to cache for `node`, just stored at `address` from `raw` (its
   * toRaw form). A tree whose edited form is bulkier than its read form hands back the
   * read form, so a commit's nodes stay in the cache as if they had been read.
   */
  stored?(node: N, raw: unknown, address: number): N
  /** Optional: the memory `node`, decoded from `bytes` bytes, takes (default: see weightOf). */
  weigh?(node: N, bytes: number): number
}

/**
 * Memory a decoded record is assumed to take when its tree does not say: calibrated
 * by measuring heap plus Buffer memory after a GC with every node cached, a node with
 * a view object per key and value takes under three times its bytes, a small
 * binary-tree node about 360 bytes. This slightly over-estimates both, so
 * `cacheBytes` is an upper bound.
 */
export function weightOf(bytes: number): number {
  return 3 * bytes + 256
}

export class NodeStore<N> {
  readonly storage: Storage
  readonly codec: NodeCodec
  readonly cache: NodeCache
  readonly type: NodeType<N>
  /** Records appended by the commit walk, for tests of the write path. */
  stored = 0

  constructor(storage: Storage, codec: NodeCodec, cache: NodeCache, type: NodeType<N>) {
    this.storage = storage
    this.codec = codec
    this.cache = cache
    this.type = type
  }

  /** Follows a pointer: a dirty node is itself, a clean one comes from the cache or the file. */
  load(ref: NodeRef<N>): N {
    if (typeof ref !== 'number') return ref
    const cached = this.cache.get(ref)
    if (cached !== undefined) return cached as N
    const bytes = this.#read(ref)
    let node: N
    try {
      const raw = this.codec.decodeShared ? this.codec.decodeShared(bytes) : this.codec.decode(bytes)
      node = this.type.fromRaw(raw, ref, this)
    } catch (err) {
      if (err instanceof DbdbError) throw err
      throw corrupt(ref, `cannot decode node: ${(err as Error).message}`)
    }
    this.cache.set(ref, node, this.#weigh(node, bytes.length))
    return node
  }

  loadValue(ref: ValueRef): Uint8Array {
    if (typeof ref !== 'number') return ref
    const cached = this.cache.get(ref)
    if (cached !== undefined) return cached as Uint8Array
    const bytes = this.#read(ref)
    this.cache.set(ref, bytes, weightOf(bytes.length))
    return bytes
  }

  /** The commit walk: stores `ref`'s dirty subtree leaf-to-root and returns its address. */
  store(ref: NodeRef<N>): number {
    if (typeof ref === 'number') return ref
    this.type.storeChildren(ref, this)
    const raw = this.type.toRaw(ref)
    const bytes = this.codec.encode(raw)
    const address = this.storage.append(bytes)
    this.stored++
    const node = this.type.stored ? this.type.stored(ref, raw, address) : ref
    this.cache.set(address, node, this.#weigh(node, bytes.length))
    return address
  }

  /**
   * Drops from the cache the records at `addresses`: nodes a commit just replaced by
   * new versions, which only a reader of an older root still reaches (and reads from
   * the file again). Kept, they would push live nodes out of a full cache: each small
   * commit leaves a leaf and its branches behind.
   */
  superseded(addresses: readonly number[]): void {
    for (const address of addresses) this.cache.delete(address)
  }

  /**
   * A record from the storage. An OS error from a storage that lets one through is
   * DBDB_IO here: thrown while a patch reads its base (inside the decoding, where any
   * other error means bad bytes), it would otherwise be taken for corruption.
   */
  #read(address: number): Uint8Array {
    try {
      return this.storage.read(address)
    } catch (err) {
      if (!isSystemError(err)) throw err
      throw new DbdbError('DBDB_IO', `reading the record at address ${address} failed: ${err.message}`, { cause: err })
    }
  }

  #weigh(node: N, bytes: number): number {
    return this.type.weigh ? this.type.weigh(node, bytes) : weightOf(bytes)
  }

  storeValue(ref: ValueRef): number {
    if (typeof ref === 'number') return ref
    const address = this.storage.append(ref)
    this.stored++
    this.cache.set(address, ref, weightOf(ref.length))
    return address
  }
}

/**
 * Checks a child address found in the node at `parent`. Children are always written
 * before their parents, so a child's address is smaller: this makes a cycle in a
 * crafted file impossible to follow.
 */
export function checkChildAddress(child: unknown, parent: number): number {
  if (typeof child !== 'number' || !Number.isSafeInteger(child) || child <= 0 || child >= parent) {
    throw corrupt(parent, `child address ${String(child)} is not before its parent`)
  }
  return child
}
