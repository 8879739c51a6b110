// BPlusTree: the LogicalTree over copy-on-write B+ nodes. Holds the current root
// (an address, or the dirty root node), answers reads by descending from it, and
// hands writes to the Editor and commits to the shared walk of NodeStore.

import { type Entry, type Key, type LogicalTree, type NodeRef, NodeStore, type Range, type TreeContext, toBounds } from '@dbdb/logical'
import { ANY_ORDER, type CheckLimits, checkTree } from './check.js'
import { scan } from './cursor.js'
import { Editor, EMPTY } from './editor.js'
import { BRANCH, countOf, type Leaf, type Node, readSlot, upperBound } from './node.js'
import { BPlusNodeType } from './node-type.js'
import type { BPlusTreeSettings } from './settings.js'

/** An opaque savepoint: the persistent root and what we knew of its size. */
class Savepoint {
  constructor(
    readonly owner: BPlusTree,
    readonly root: NodeRef<Node>,
    readonly size: number,
    /** The addresses the transaction had superseded by then (those noted after are live again on rollback). */
    readonly superseded: readonly number[],
  ) {}
}

export class BPlusTree implements LogicalTree {
  readonly #store: NodeStore<Node>
  readonly #editor: Editor
  #root: NodeRef<Node>
  /** The root as last opened or committed: the tree is dirty when it differs. */
  #clean: NodeRef<Node>
  /** Keys in the tree, or -1 until someone asks (it costs loading the root). */
  #size = -1
  /** The node at #root when #root is an address, kept: every lookup starts there. */
  #rootNode: Node | undefined
  #rootNodeAt = EMPTY

  constructor(context: TreeContext, root: number, settings: BPlusTreeSettings) {
    if (!Number.isSafeInteger(root) || root < 0) throw new RangeError(`a root address must be an integer >= 0, not ${String(root)}`)
    this.#store = new NodeStore(context.storage, context.codec, context.cache, new BPlusNodeType())
    this.#editor = new Editor(this.#store, settings)
    this.#root = root
    this.#clean = root
  }

  /** Keys and values are copied into the leaves' buffers (see packed.ts). */
  readonly copiesOnSet = true

  get(key: Key): Uint8Array | undefined {
    const leaf = this.#leafFor(key)
    if (leaf === undefined) return undefined
    const i = leaf.keys.search(key)
    return i >= 0 ? readSlot(leaf.values.at(i), this.#store) : undefined
  }

  has(key: Key): boolean {
    const leaf = this.#leafFor(key)
    return leaf !== undefined && leaf.keys.search(key) >= 0
  }

  set(key: Key, value: Uint8Array): void {
    if (!(key instanceof Uint8Array)) throw new TypeError('a key must be a Uint8Array')
    if (!(value instanceof Uint8Array)) throw new TypeError('a value must be a Uint8Array')
    this.#root = this.#editor.insert(this.#root, key, value)
    if (this.#size >= 0 && this.#editor.added) this.#size++
  }

  delete(key: Key): boolean {
    this.#root = this.#editor.remove(this.#root, key)
    if (!this.#editor.removed) return false
    if (this.#size >= 0) this.#size--
    return true
  }

  get size(): number {
    if (this.#size < 0) this.#size = this.#root === EMPTY ? 0 : countOf(this.#top())
    return this.#size
  }

  entries(range?: Range): IterableIterator<Entry> {
    const bounds = toBounds(range)
    // The iterator holds this root: nothing reachable from it may change in place now.
    this.#editor.freeze()
    return scan(this.#store, this.#root, bounds)
  }

  count(range?: Range): number {
    const b = toBounds(range)
    if (this.#root === EMPTY || b.limit === 0) return 0
    const below = b.lower === undefined ? 0 : this.#rank(b.lower, !b.lowerInclusive)
    const upTo = b.upper === undefined ? this.size : this.#rank(b.upper, b.upperInclusive)
    return Math.min(Math.max(0, upTo - below), b.limit)
  }

  get dirty(): boolean {
    return this.#root !== this.#clean
  }

  commit(): number {
    // Stored nodes go into the shared cache: they must never change in place again.
    this.#editor.freeze()
    const address = this.#root === EMPTY ? EMPTY : this.#store.store(this.#root)
    this.#root = address
    this.#clean = address
    this.#store.superseded(this.#editor.superseded)
    this.#editor.superseded = []
    return address
  }

  savepoint(): unknown {
    this.#editor.freeze()
    return new Savepoint(this, this.#root, this.#size, this.#editor.superseded.slice())
  }

  rollbackTo(savepoint: unknown): void {
    if (!(savepoint instanceof Savepoint) || savepoint.owner !== this) throw new TypeError('not a savepoint of this tree')
    this.#editor.freeze()
    this.#root = savepoint.root
    this.#size = savepoint.size
    this.#editor.superseded = savepoint.superseded.slice()
  }

  /**
   * Judges fill only by what every order keeps (see check.ts), not by this tree's
   * orders: the file does not say which orders wrote it, and under-fill is a matter
   * of balance, not damage.
   */
  check(): void {
    this.checkWith(ANY_ORDER)
  }

  /** check() with the fill rule `limits`; for this package's own tests (see fill.fixture.ts), not part of LogicalTree. */
  checkWith(limits: CheckLimits): void {
    const count = checkTree(this.#store, this.#root, limits)
    if (this.#size >= 0 && this.#size !== count) throw new Error(`bplus: size is ${this.#size} but the tree holds ${count} keys`)
  }

  get height(): number {
    let height = 0
    let ref = this.#root
    while (ref !== EMPTY) {
      height++
      const node = this.#store.load(ref)
      if (node.kind !== BRANCH) break
      ref = node.children[0]!
    }
    return height
  }

  /** The root node (the tree must not be empty). Stored nodes never change, so one loaded stays right. */
  #top(): Node {
    const root = this.#root
    if (typeof root !== 'number') return root
    if (this.#rootNodeAt !== root || this.#rootNode === undefined) {
      this.#rootNode = this.#store.load(root)
      this.#rootNodeAt = root
    }
    return this.#rootNode
  }

  /** The leaf whose range holds `key`, or undefined for an empty tree. */
  #leafFor(key: Key): Leaf | undefined {
    if (this.#root === EMPTY) return undefined
    let node = this.#top()
    while (node.kind === BRANCH) node = this.#store.load(node.children[upperBound(node.keys, key)]!)
    return node
  }

  /** How many keys are below `key` (or at most `key`, when `orEqual`): O(height) nodes. */
  #rank(key: Key, orEqual: boolean): number {
    let rank = 0
    let node = this.#top()
    while (node.kind === BRANCH) {
      const i = upperBound(node.keys, key)
      for (let c = 0; c < i; c++) rank += node.counts[c]!
      node = this.#store.load(node.children[i]!)
    }
    const i = node.keys.search(key)
    return rank + (i < 0 ? ~i : orEqual ? i + 1 : i)
  }
}
