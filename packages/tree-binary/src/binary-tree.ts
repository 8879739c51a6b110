// The binary tree algorithm: an immutable AVL tree. An update copies the path from
// the changed node up to the root and rebalances on the way back up; everything else is shared.

import {
  compareKeys,
  type Entry,
  type Key,
  type LogicalTree,
  type NodeRef,
  NodeStore,
  type Range,
  type TreeContext,
  type TreeFactory,
  type ValueRef,
} from '@dbdb/logical'
import { buildBinaryTree } from './binary-build.js'
import { checkBinaryTree } from './binary-check.js'
import { BinaryNode, binaryNodeType, type Child, loadChild, loadValue, plainBytes } from './binary-node.js'
import { countRange, walkRange } from './binary-range.js'

/** What a savepoint holds: a persistent root is the whole state (and the records superseded by then). */
class Savepoint {
  constructor(
    readonly root: Child,
    readonly superseded: readonly number[],
  ) {}
}

const MISSING: unique symbol = Symbol('missing')

function heightOf(node: BinaryNode | undefined): number {
  return node === undefined ? 0 : node.height
}

function sizeOf(node: BinaryNode | undefined): number {
  return node === undefined ? 0 : node.size
}

function checkBytes(bytes: unknown, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
}

export class BinaryTree implements LogicalTree {
  readonly #store: NodeStore<BinaryNode>
  #root: Child
  /** The root as last committed (or opened) and its address: dirty means the root moved since. */
  #clean: { root: Child; address: number }
  /**
   * Stored nodes and values this transaction replaced: its commit drops them from the
   * cache (NodeStore.superseded), where they would push live nodes out.
   */
  #superseded: number[] = []

  constructor(context: TreeContext, root: number) {
    if (!Number.isSafeInteger(root) || root < 0) throw new RangeError(`root must be an address or 0, not ${String(root)}`)
    this.#store = new NodeStore(context.storage, context.codec, context.cache, binaryNodeType)
    this.#root = root === 0 ? undefined : root
    this.#clean = { root: this.#root, address: root }
  }

  get size(): number {
    return sizeOf(this.#node(this.#root))
  }

  get height(): number {
    return heightOf(this.#node(this.#root))
  }

  get dirty(): boolean {
    return this.#root !== this.#clean.root
  }

  get(key: Key): Uint8Array | undefined {
    let node = this.#node(this.#root)
    while (node !== undefined) {
      const c = compareKeys(key, node.key)
      if (c === 0) return loadValue(this.#store, node.value)
      node = this.#node(c < 0 ? node.left : node.right, node)
    }
    return undefined
  }

  has(key: Key): boolean {
    let node = this.#node(this.#root)
    while (node !== undefined) {
      const c = compareKeys(key, node.key)
      if (c === 0) return true
      node = this.#node(c < 0 ? node.left : node.right, node)
    }
    return false
  }

  set(key: Key, value: Uint8Array): void {
    checkBytes(key, 'key')
    checkBytes(value, 'value')
    this.#root = this.#edit(() => this.#insert(this.#root, undefined, plainBytes(key), value))
  }

  delete(key: Key): boolean {
    const root = this.#edit(() => this.#remove(this.#root, undefined, key))
    if (root === MISSING) return false
    this.#root = root
    return true
  }

  entries(range?: Range): IterableIterator<Entry> {
    // Taken now, not at the first next(): the iteration sees the tree as it is at this call.
    return walkRange(this.#store, this.#root, range)
  }

  count(range?: Range): number {
    return countRange(this.#store, this.#root, range)
  }

  commit(): number {
    if (!this.dirty) return this.#clean.address
    const root = this.#root
    const address = root === undefined ? 0 : this.#store.store(root)
    // From here on the root is its address (the cache holds the object), so that the
    // next change of this tree supersedes it like any stored node.
    this.#root = address === 0 ? undefined : address
    this.#clean = { root: this.#root, address }
    this.#store.superseded(this.#superseded)
    this.#superseded = []
    return address
  }

  savepoint(): unknown {
    return new Savepoint(this.#root, this.#superseded.slice())
  }

  rollbackTo(savepoint: unknown): void {
    if (!(savepoint instanceof Savepoint)) throw new TypeError('not a savepoint of a binary tree')
    this.#root = savepoint.root
    this.#superseded = savepoint.superseded.slice()
  }

  check(): void {
    checkBinaryTree(this.#store, this.#root)
  }

  #node(ref: Child, parent?: BinaryNode): BinaryNode | undefined {
    return ref === undefined ? undefined : loadChild(this.#store, ref, parent)
  }

  /** The node or value at `ref` is replaced or removed by this transaction. */
  #supersede(ref: Child | ValueRef): void {
    if (typeof ref === 'number') this.#superseded.push(ref)
  }

  // ---- path copying and AVL rebalancing: recursion depth is the tree's height ----

  /**
   * Runs an edit of the tree: one that throws (a failed read, EIO or a corrupt record)
   * leaves the tree as it was, with nothing it noted as superseded.
   */
  #edit<T>(edit: () => T): T {
    const noted = this.#superseded.length
    try {
      return edit()
    } catch (err) {
      this.#superseded.length = noted
      throw err
    }
  }

  #insert(ref: Child, parent: BinaryNode | undefined, key: Key, value: Uint8Array): BinaryNode {
    const node = this.#node(ref, parent)
    if (node === undefined) return new BinaryNode(undefined, key, value, undefined, 1, 1)
    // Every node on the path is made anew.
    this.#supersede(ref)
    const c = compareKeys(key, node.key)
    if (c < 0) return this.#balance(this.#insert(node.left, node, key, value), node.key, node.value, node.right)
    if (c > 0) return this.#balance(node.left, node.key, node.value, this.#insert(node.right, node, key, value))
    this.#supersede(node.value)
    return new BinaryNode(node.left, node.key, value, node.right, node.size, node.height)
  }

  #remove(ref: Child, parent: BinaryNode | undefined, key: Key): Child | typeof MISSING {
    const node = this.#node(ref, parent)
    if (node === undefined) return MISSING
    const c = compareKeys(key, node.key)
    if (c < 0) {
      const left = this.#remove(node.left, node, key)
      if (left === MISSING) return MISSING
      this.#supersede(ref)
      return this.#balance(left, node.key, node.value, node.right)
    }
    if (c > 0) {
      const right = this.#remove(node.right, node, key)
      if (right === MISSING) return MISSING
      this.#supersede(ref)
      return this.#balance(node.left, node.key, node.value, right)
    }
    this.#supersede(ref)
    this.#supersede(node.value)
    if (node.left === undefined) return node.right
    if (node.right === undefined) return node.left
    // Two children: the successor takes this node's place, as the original took the predecessor.
    const { rest, min } = this.#removeMin(node.right, node)
    return this.#balance(node.left, min.key, min.value, rest)
  }

  #removeMin(ref: NodeRef<BinaryNode>, parent: BinaryNode): { rest: Child; min: BinaryNode } {
    const node = this.#node(ref, parent)!
    // Made anew, or (the minimum) moved up: its value stays, in the node that takes its key.
    this.#supersede(ref)
    if (node.left === undefined) return { rest: node.right, min: node }
    const { rest, min } = this.#removeMin(node.left, node)
    return { rest: this.#balance(rest, node.key, node.value, node.right), min }
  }

  /** A node over `left` and `right`, rotated back into AVL shape when their heights differ by 2. */
  #balance(left: Child, key: Key, value: ValueRef, right: Child): BinaryNode {
    const l = this.#node(left)
    const r = this.#node(right)
    // A rotation makes the heavy child (and, doubly, its inner child) anew.
    if (heightOf(l) > heightOf(r) + 1) {
      this.#supersede(left)
      const ll = this.#node(l!.left)
      const lr = this.#node(l!.right)
      if (heightOf(ll) >= heightOf(lr)) {
        return this.#make(l!.left, ll, l!.key, l!.value, this.#make(l!.right, lr, key, value, right, r), undefined)
      }
      const inner = lr!
      this.#supersede(l!.right)
      const a = this.#make(l!.left, ll, l!.key, l!.value, inner.left, undefined)
      const b = this.#make(inner.right, undefined, key, value, right, r)
      return this.#make(a, a, inner.key, inner.value, b, b)
    }
    if (heightOf(r) > heightOf(l) + 1) {
      this.#supersede(right)
      const rl = this.#node(r!.left)
      const rr = this.#node(r!.right)
      if (heightOf(rr) >= heightOf(rl)) {
        return this.#make(this.#make(left, l, key, value, r!.left, rl), undefined, r!.key, r!.value, r!.right, rr)
      }
      const inner = rl!
      this.#supersede(r!.left)
      const a = this.#make(left, l, key, value, inner.left, undefined)
      const b = this.#make(inner.right, undefined, r!.key, r!.value, r!.right, rr)
      return this.#make(a, a, inner.key, inner.value, b, b)
    }
    return this.#make(left, l, key, value, right, r)
  }

  /** A new node; `l`/`r` are the children already loaded, or undefined to load them here. */
  #make(left: Child, l: BinaryNode | undefined, key: Key, value: ValueRef, right: Child, r: BinaryNode | undefined): BinaryNode {
    l ??= this.#node(left)
    r ??= this.#node(right)
    return new BinaryNode(left, key, value, right, 1 + sizeOf(l) + sizeOf(r), 1 + Math.max(heightOf(l), heightOf(r)))
  }
}

export const binaryTree: TreeFactory = {
  id: 'binary',
  open(context: TreeContext, root: number): LogicalTree {
    return new BinaryTree(context, root)
  },
  build(context: TreeContext, entries: Iterable<Entry>, count: number): number {
    return buildBinaryTree(context, entries, count)
  },
}
