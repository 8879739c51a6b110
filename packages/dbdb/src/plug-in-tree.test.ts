// A tree written as a third party would write one: it imports only the public
// exports, proves itself with the exported conformance suite, and plugs into open().
//
// The "sorted array" tree keeps a whole commit in ONE node: every key and value in
// two sorted arrays. Every write copies the arrays and every commit rewrites the
// lot, so it is no tree for real data; but it is a complete LogicalTree, short
// enough to read in one go. Its node is never changed once made (copy-on-write),
// which is all that iterators and savepoints need.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonCodec, msgpackCodec } from '@dbdb/codec'
import { isDbdbError, open } from '@dbdb/dbdb'
import type { Entry, Key, LogicalTree, NodeType, Range, TreeContext, TreeFactory } from '@dbdb/logical'
import { compareKeys, NodeStore, toBounds } from '@dbdb/logical'
import { defineTreeConformance } from '@dbdb/logical/testing'
import { afterEach, describe, expect, it } from 'vitest'

// ---- the tree ---------------------------------------------------------------

/** The one node: keys in ascending byte order, and their values. Never changed once made. */
interface SortedNode {
  readonly keys: readonly Key[]
  readonly values: readonly Uint8Array[]
}

const EMPTY: SortedNode = { keys: [], values: [] }

/** How the node becomes a record ([keys, values]) and back. A file is untrusted input. */
const sortedNodeType: NodeType<SortedNode> = {
  storeChildren() {}, // no child nodes, no values stored apart
  toRaw: (node) => [node.keys, node.values],
  fromRaw(raw) {
    if (!Array.isArray(raw) || raw.length !== 2) throw new Error('a node is [keys, values]')
    const [keys, values] = raw as unknown[]
    if (!Array.isArray(keys) || !Array.isArray(values)) throw new Error('keys and values must be arrays')
    if (keys.length === 0) throw new Error('a stored node is never empty (the empty tree is address 0)')
    const node = { keys, values } as SortedNode
    checkNode(node)
    return node
  },
}

function checkNode({ keys, values }: SortedNode): void {
  if (keys.length !== values.length) throw new Error(`${keys.length} keys but ${values.length} values`)
  for (let i = 0; i < keys.length; i++) {
    if (!(keys[i] instanceof Uint8Array) || !(values[i] instanceof Uint8Array)) throw new Error(`entry ${i} is not bytes`)
    if (i > 0 && compareKeys(keys[i - 1]!, keys[i]!) >= 0) throw new Error(`keys ${i - 1} and ${i} are not in ascending order`)
  }
}

/** Index of the first key >= `key` (> `key` when `after`). */
function search(keys: readonly Key[], key: Key, after = false): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const c = compareKeys(keys[mid]!, key)
    if (c < 0 || (after && c === 0)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The slice [from, to) of `keys` a range covers, with its direction and limit. */
function span(keys: readonly Key[], range?: Range) {
  const b = toBounds(range) // gte/gt/lte/lt normalized once for every tree
  const from = b.lower === undefined ? 0 : search(keys, b.lower, !b.lowerInclusive)
  const to = b.upper === undefined ? keys.length : search(keys, b.upper, b.upperInclusive)
  return { from, to, n: Math.max(0, Math.min(to - from, b.limit)), reverse: b.reverse }
}

class SortedArrayTree implements LogicalTree {
  readonly #store: NodeStore<SortedNode>
  #node: SortedNode
  /** Where #node is stored; undefined while it holds uncommitted changes. */
  #address: number | undefined

  constructor(context: TreeContext, root: number) {
    this.#store = new NodeStore(context.storage, context.codec, context.cache, sortedNodeType)
    this.#node = root === 0 ? EMPTY : this.#store.load(root) // load() reports bad input as DBDB_CORRUPT
    this.#address = root
  }

  get size(): number {
    return this.#node.keys.length
  }
  get height(): number {
    return this.size === 0 ? 0 : 1
  }
  get dirty(): boolean {
    return this.#address === undefined
  }

  get(key: Key): Uint8Array | undefined {
    const { keys, values } = this.#node
    const i = search(keys, key)
    return i < keys.length && compareKeys(keys[i]!, key) === 0 ? values[i] : undefined
  }
  has(key: Key): boolean {
    return this.get(key) !== undefined
  }

  set(key: Key, value: Uint8Array): void {
    const { keys, values } = this.#node
    const i = search(keys, key)
    const replace = i < keys.length && compareKeys(keys[i]!, key) === 0 ? 1 : 0
    this.#change({ keys: keys.toSpliced(i, replace, key), values: values.toSpliced(i, replace, value) })
  }

  delete(key: Key): boolean {
    const { keys, values } = this.#node
    const i = search(keys, key)
    if (i === keys.length || compareKeys(keys[i]!, key) !== 0) return false
    this.#change({ keys: keys.toSpliced(i, 1), values: values.toSpliced(i, 1) })
    return true
  }

  entries(range?: Range): IterableIterator<Entry> {
    const { keys, values } = this.#node // taken now, not at the first next()
    const { from, to, n, reverse } = span(keys, range)
    return (function* (): Generator<Entry> {
      for (let j = 0; j < n; j++) {
        const i = reverse ? to - 1 - j : from + j
        yield [keys[i]!, values[i]!]
      }
    })()
  }

  count(range?: Range): number {
    return span(this.#node.keys, range).n
  }

  commit(): number {
    if (this.#address === undefined) this.#address = this.size === 0 ? 0 : this.#store.store(this.#node)
    return this.#address
  }

  // A savepoint is just the node and its address then: nothing it holds ever changes.
  savepoint(): unknown {
    return [this.#node, this.#address]
  }
  rollbackTo(savepoint: unknown): void {
    ;[this.#node, this.#address] = savepoint as [SortedNode, number | undefined]
  }

  check(): void {
    checkNode(this.#node)
  }

  #change(node: SortedNode): void {
    this.#node = node
    this.#address = undefined
  }
}

/** The factory is the whole plug: a stable id (recorded in files) and open(). */
const sortedArrayTree: TreeFactory = {
  id: 'example-sorted-array',
  open: (context, root) => new SortedArrayTree(context, root),
}

// ---- proving it -------------------------------------------------------------

for (const codec of [msgpackCodec, jsonCodec]) {
  defineTreeConformance({ describe, it }, { factory: sortedArrayTree, codec, operations: 800 })
}

describe('a tree from outside, plugged into open()', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })
  const file = () => {
    dir ??= mkdtempSync(join(tmpdir(), 'dbdb-plug-in-'))
    return join(dir, 'plugged.db')
  }
  const errorOf = (fn: () => unknown): unknown => {
    try {
      fn()
    } catch (err) {
      return err
    }
  }

  it('stores, commits and reopens through the public API', () => {
    const path = file()
    const db = open(path, { tree: sortedArrayTree })
    db.set('dog:rex', { breed: 'collie' }).set('dog:fido', { breed: 'mutt' }).set('cat:tom', 'no')
    expect(db.get('dog:rex')).toEqual({ breed: 'collie' })
    db.commit()
    expect(() =>
      db.transaction(() => {
        db.delete('dog:rex')
        throw new Error('changed my mind') // rolls back through savepoint()/rollbackTo()
      }),
    ).toThrow('changed my mind')
    expect(db.has('dog:rex')).toBe(true)
    db.close()

    const again = open(path, { tree: sortedArrayTree })
    expect(again.composition.tree).toBe('example-sorted-array')
    expect([...again.keys({ gte: 'dog:', lt: 'dog;' })]).toEqual(['dog:fido', 'dog:rex'])
    expect(again.get('cat:tom')).toBe('no')
    expect(again.check()).toMatchObject({ ok: true, keys: 3, height: 1 })
    again.close()
  })

  it('a file made with it cannot be opened without it, or with another tree', () => {
    const path = file()
    const db = open(path, { tree: sortedArrayTree })
    db.set('k', 'v')
    db.commit()
    db.close()
    // Its id is not built in, so open() cannot find the tree by itself.
    const missing = errorOf(() => open(path))
    expect(isDbdbError(missing, 'DBDB_MISMATCH')).toBe(true)
    expect((missing as Error).message).toContain("'example-sorted-array'")
    const other = errorOf(() => open(path, { tree: 'bplus' }))
    expect(isDbdbError(other, 'DBDB_MISMATCH')).toBe(true)
    expect((other as Error).message).toContain("'example-sorted-array', not 'bplus'")
  })
})
