// The binary tree's node, as in the original DBDB (left, key, value, right), plus the
// subtree size and AVL height, and how the shared commit walk stores and reloads it.

import { checkChildAddress, corrupt, type Key, type NodeRef, type NodeStore, type NodeType, type ValueRef } from '@dbdb/logical'

export type Child = NodeRef<BinaryNode> | undefined

/**
 * One node. Its content never changes once made; only `left`, `value` and `right`
 * are rewritten, by the commit walk, from the dirty object to the address it got.
 */
export class BinaryNode {
  left: Child
  readonly key: Key
  value: ValueRef
  right: Child
  /** Keys in this subtree, so size and count(range) need no scan. */
  readonly size: number
  /** Nodes on the longest path down from here (a leaf has height 1). */
  readonly height: number

  constructor(left: Child, key: Key, value: ValueRef, right: Child, size: number, height: number) {
    this.left = left
    this.key = key
    this.value = value
    this.right = right
    this.size = size
    this.height = height
  }
}

/** The codec's view of a node: `[left, key, value, right, size, height]`, 0 for a missing child. */
export type RawBinaryNode = [left: number, key: Key, value: number, right: number, size: number, height: number]

/**
 * The fewest keys an AVL tree of height h can hold (h = index): a node plus the two
 * thinnest subtrees allowed beside each other. Stops once past every safe integer,
 * which caps the height any file may claim (and so any recursion it can cause).
 */
const MIN_SIZE_FOR_HEIGHT: readonly number[] = (() => {
  const table = [0, 1]
  while (table.at(-1)! <= Number.MAX_SAFE_INTEGER) table.push(table.at(-1)! + table.at(-2)! + 1)
  return table
})()

export const MAX_HEIGHT = MIN_SIZE_FOR_HEIGHT.length - 2

/** The largest size a tree of this height can hold: a perfect tree, 2^h - 1. */
function maxSizeForHeight(height: number): number {
  return 2 ** height - 1
}

function addressOf(ref: Child | ValueRef): number {
  if (typeof ref !== 'number') throw new Error('binary tree: a child is still dirty when its parent is encoded')
  return ref
}

/**
 * The same bytes as a plain Uint8Array view (no copy). Codecs hand back Buffers, and
 * JSON.stringify turns a Buffer into {type, data} through Buffer#toJSON before the json
 * codec's replacer can see it: a key must be re-encodable by every codec, as bytes.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1
}

export const binaryNodeType: NodeType<BinaryNode> = {
  storeChildren(node: BinaryNode, store: NodeStore<BinaryNode>): void {
    // Left, value, right, then (in the walk) the node: every address a node holds is
    // smaller than its own, which is what lets fromRaw refuse cycles.
    if (node.left !== undefined && typeof node.left !== 'number') node.left = store.store(node.left)
    if (typeof node.value !== 'number') node.value = store.storeValue(node.value)
    if (node.right !== undefined && typeof node.right !== 'number') node.right = store.store(node.right)
  },

  toRaw(node: BinaryNode): RawBinaryNode {
    const left = node.left === undefined ? 0 : addressOf(node.left)
    const right = node.right === undefined ? 0 : addressOf(node.right)
    return [left, node.key, addressOf(node.value), right, node.size, node.height]
  },

  fromRaw(raw: unknown, address: number): BinaryNode {
    if (!Array.isArray(raw) || raw.length !== 6) throw new Error('a binary node is an array of 6 fields')
    const [rawLeft, key, rawValue, rawRight, size, height] = raw as unknown[]
    if (!(key instanceof Uint8Array)) throw new Error('the key is not bytes')
    const value = checkChildAddress(rawValue, address)
    const left = rawLeft === 0 ? undefined : checkChildAddress(rawLeft, address)
    const right = rawRight === 0 ? undefined : checkChildAddress(rawRight, address)
    if (!isCount(size) || !isCount(height)) throw new Error('size and height must be positive integers')
    if (height > MAX_HEIGHT || size < MIN_SIZE_FOR_HEIGHT[height]! || size > maxSizeForHeight(height)) {
      throw new Error(`no AVL tree of height ${height} holds ${size} keys`)
    }
    if (left === undefined && right === undefined && (size !== 1 || height !== 1)) throw new Error('a leaf has size and height 1')
    // In an AVL tree a node missing one child has at most one grandchild below it.
    if ((left === undefined) !== (right === undefined) && (size !== 2 || height !== 2)) {
      throw new Error('a node with one child has size and height 2')
    }
    return new BinaryNode(left, plainBytes(key), value, right, size, height)
  },
}

/**
 * Follows `parent`'s pointer `ref`. A stored child must be strictly lower and smaller
 * than its parent: together with MAX_HEIGHT this bounds every descent, so a crafted
 * file cannot drive the recursive updates past O(height) depth. The type check stops
 * a crafted value pointer from handing back a cached node (the cache is shared).
 */
export function loadChild(store: NodeStore<BinaryNode>, ref: NodeRef<BinaryNode>, parent?: BinaryNode): BinaryNode {
  const node = store.load(ref)
  if (typeof ref === 'number') {
    if (!(node instanceof BinaryNode)) throw corrupt(ref, 'a node pointer leads to a value record')
    if (parent !== undefined && (node.height >= parent.height || node.size >= parent.size)) {
      throw corrupt(ref, `node of height ${node.height} and size ${node.size} below one of height ${parent.height} and size ${parent.size}`)
    }
  }
  return node
}

export function loadValue(store: NodeStore<BinaryNode>, ref: ValueRef): Uint8Array {
  const value = store.loadValue(ref)
  if (!(value instanceof Uint8Array)) throw corrupt(ref as number, 'a value pointer leads to a node record')
  return value
}
