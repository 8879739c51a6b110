// Insert and delete: copy-on-write along the path from the root to one leaf,
// with splits on the way up after an insert and borrow/merge after a delete.
//
// Copy-on-write without the copies: a node made by the current edit session
// (owner === this.owner) is reachable only from the current root, so it may be
// changed in place. Anything that can observe a root (savepoint, iterator,
// commit) calls freeze() first, which starts a new session; from then on every
// node that existed is copied before it changes. So a bulk load copies each node
// once per freeze, not once per insert, and persistence is never broken.
//
// Fill rule, kept by split and rebalance: every node holds at most `order`
// entries (leaf keys or branch children). Every node holds at least
// `min = ceil(order / 2)`, except those on the right edge (the last node of each
// level, the root among them), which need only one key (a leaf) or two children
// (a branch). The exception makes appending in key order fill nodes completely:
// when the last leaf overflows with a key beyond every other, it keeps `order`
// keys and the new key starts a new last leaf (SQLite's "quick balance", LMDB's
// append mode), instead of leaving a trail of half-full leaves behind. An empty
// tree has no root at all (address 0).

import type { Key, NodeRef, NodeStore } from '@dbdb/logical'
import {
  Branch,
  BRANCH,
  countOf,
  type EditBranch,
  type EditLeaf,
  type EditNode,
  entriesOf,
  keyAt,
  LargeValue,
  Leaf,
  LEAF,
  Packed,
  type Node,
  search,
  separator,
  type Slot,
  slotArray,
  slotAt,
  upperBound,
} from './node.js'

/** The empty tree. */
export const EMPTY = 0

export class Editor {
  readonly store: NodeStore<Node>
  readonly order: number
  readonly min: number
  readonly inlineValueMax: number
  /** The current edit session's token. */
  owner: object = {}
  /** Whether the last insert added a key (false: it replaced a value). */
  added = false
  /** Whether the last remove found its key. */
  removed = false
  // A split's result, handed from a child to its parent.
  #splitRight: Node | undefined
  #splitKey: Key | undefined

  constructor(store: NodeStore<Node>, order: number, inlineValueMax: number) {
    this.store = store
    this.order = order
    this.min = Math.ceil(order / 2)
    this.inlineValueMax = inlineValueMax
  }

  /** The fewest entries a node other than the root may hold (see the fill rule above). */
  least(kind: typeof LEAF | typeof BRANCH, edge: boolean): number {
    if (!edge) return this.min
    return kind === LEAF ? 1 : 2
  }

  /** Ends the session: every node that exists now is shared from here on. */
  freeze(): void {
    this.owner = {}
  }

  /** Returns the new root (always a node of the current session). */
  insert(root: NodeRef<Node>, key: Key, value: Uint8Array): Node {
    const slot: Slot = value.length > this.inlineValueMax ? new LargeValue(value) : value
    if (root === EMPTY) {
      this.added = true
      return new Leaf([key], [slot], this.owner)
    }
    const top = this.#insert(this.store.load(root), key, slot, true)
    const right = this.#splitRight
    if (right === undefined) return top
    this.#splitRight = undefined
    return new Branch([this.#splitKey!], [top, right], [countOf(top), countOf(right)], this.owner)
  }

  /** Returns the new root, or `root` itself (untouched, nothing copied) when `key` is absent. */
  remove(root: NodeRef<Node>, key: Key): NodeRef<Node> {
    this.removed = false
    if (root === EMPTY) return EMPTY
    const top = this.#remove(this.store.load(root), key, true)
    if (top === undefined) return root
    this.removed = true
    if (top.kind === LEAF) return top.keys.length === 0 ? EMPTY : top
    // A merge below the root can leave it with one child, which becomes the root.
    return top.children.length === 1 ? top.children[0]! : top
  }

  /** `edge`: `node` is the last of its level, so appends past its end may split unevenly. */
  #insert(node: Node, key: Key, slot: Slot, edge: boolean): EditNode {
    if (node.kind === LEAF) {
      const leaf = this.#ownLeaf(node)
      const i = search(leaf.keys, key)
      if (i >= 0) {
        leaf.values[i] = slot
        this.added = false
        return leaf
      }
      insertAt(editKeys(leaf), ~i, key)
      insertAt(leaf.values, ~i, slot)
      this.added = true
      const n = leaf.keys.length
      if (n > this.order) this.#splitLeaf(leaf, edge && ~i === n - 1 ? n - 1 : Math.ceil(n / 2))
      return leaf
    }
    const i = upperBound(node.keys, key)
    const child = this.#insert(this.store.load(node.children[i]!), key, slot, edge && i === node.children.length - 1)
    const branch = this.#ownBranch(node)
    branch.children[i] = child
    const right = this.#splitRight
    if (right === undefined) {
      if (this.added) branch.counts[i]!++
      return branch
    }
    this.#splitRight = undefined
    branch.counts[i] = countOf(child)
    editKeys(branch).splice(i, 0, this.#splitKey!)
    branch.children.splice(i + 1, 0, right)
    branch.counts.splice(i + 1, 0, countOf(right))
    const n = branch.children.length
    if (n > this.order) this.#splitBranch(branch, edge && i + 2 === n ? n - 2 : Math.ceil(n / 2))
    return branch
  }

  // A split leaves `mid` entries on the left. Even splits keep the larger half on the
  // left, so both hold at least ceil(order / 2); an append on the right edge keeps a
  // full node on the left and starts the new last node with what was appended.
  #splitLeaf(leaf: EditLeaf, mid: number): void {
    const keys = editKeys(leaf)
    const right = new Leaf(keys.splice(mid), leaf.values.splice(mid), this.owner)
    this.#splitKey = separator(keys[mid - 1]!, right.keys[0]!)
    this.#splitRight = right
  }

  #splitBranch(branch: EditBranch, mid: number): void {
    const keys = editKeys(branch)
    const rightKeys = keys.splice(mid)
    this.#splitKey = keys.pop()!
    this.#splitRight = new Branch(rightKeys, branch.children.splice(mid), branch.counts.splice(mid), this.owner)
  }

  #remove(node: Node, key: Key, edge: boolean): EditNode | undefined {
    if (node.kind === LEAF) {
      const i = search(node.keys, key)
      if (i < 0) return undefined
      const leaf = this.#ownLeaf(node)
      removeAt(editKeys(leaf), i)
      removeAt(leaf.values, i)
      return leaf
    }
    const i = upperBound(node.keys, key)
    const childEdge = edge && i === node.children.length - 1
    const child = this.#remove(this.store.load(node.children[i]!), key, childEdge)
    if (child === undefined) return undefined
    const branch = this.#ownBranch(node)
    branch.children[i] = child
    branch.counts[i]!--
    if (entriesOf(child) < this.least(child.kind, childEdge)) this.#rebalance(branch, i, child)
    return branch
  }

  /** `child` (at `i`, owned) fell below the minimum: borrow from a sibling or merge with it. */
  #rebalance(parent: EditBranch, i: number, child: EditNode): void {
    // The left sibling if there is one, so only one sibling is ever loaded.
    const j = i > 0 ? i - 1 : i + 1
    const sibling = this.store.load(parent.children[j]!)
    const canLend = entriesOf(sibling) > this.min
    if (j < i) {
      if (canLend) this.#borrowFromLeft(parent, i, this.#own(sibling), child)
      else this.#merge(parent, j, this.#own(sibling), child)
    } else {
      if (canLend) this.#borrowFromRight(parent, i, child, this.#own(sibling))
      else this.#merge(parent, i, child, sibling)
    }
  }

  #borrowFromLeft(parent: EditBranch, i: number, left: EditNode, child: EditNode): void {
    parent.children[i - 1] = left
    let moved: number
    const parentKeys = editKeys(parent)
    if (left.kind === LEAF && child.kind === LEAF) {
      const leftKeys = editKeys(left)
      const key = leftKeys.pop()!
      editKeys(child).unshift(key)
      child.values.unshift(left.values.pop()!)
      parentKeys[i - 1] = separator(leftKeys[leftKeys.length - 1]!, key)
      moved = 1
    } else if (left.kind === BRANCH && child.kind === BRANCH) {
      moved = left.counts.pop()!
      child.children.unshift(left.children.pop()!)
      child.counts.unshift(moved)
      editKeys(child).unshift(parentKeys[i - 1]!)
      parentKeys[i - 1] = editKeys(left).pop()!
    } else {
      throw new Error('bplus: siblings of different kinds (leaves at different depths)')
    }
    parent.counts[i - 1]! -= moved
    parent.counts[i]! += moved
  }

  #borrowFromRight(parent: EditBranch, i: number, child: EditNode, right: EditNode): void {
    parent.children[i + 1] = right
    let moved: number
    const parentKeys = editKeys(parent)
    if (right.kind === LEAF && child.kind === LEAF) {
      const rightKeys = editKeys(right)
      const key = rightKeys.shift()!
      editKeys(child).push(key)
      child.values.push(right.values.shift()!)
      parentKeys[i] = separator(key, rightKeys[0]!)
      moved = 1
    } else if (right.kind === BRANCH && child.kind === BRANCH) {
      moved = right.counts.shift()!
      child.children.push(right.children.shift()!)
      child.counts.push(moved)
      editKeys(child).push(parentKeys[i]!)
      parentKeys[i] = editKeys(right).shift()!
    } else {
      throw new Error('bplus: siblings of different kinds (leaves at different depths)')
    }
    parent.counts[i]! += moved
    parent.counts[i + 1]! -= moved
  }

  /** Moves everything of children[j + 1] into children[j] (`left`, owned) and drops the right one. */
  #merge(parent: EditBranch, j: number, left: EditNode, right: Node): void {
    const parentKeys = editKeys(parent)
    if (left.kind === LEAF && right.kind === LEAF) {
      const leftKeys = editKeys(left)
      for (let k = 0; k < right.keys.length; k++) {
        leftKeys.push(keyAt(right.keys, k))
        left.values.push(slotAt(right.values, k))
      }
    } else if (left.kind === BRANCH && right.kind === BRANCH) {
      const leftKeys = editKeys(left)
      leftKeys.push(parentKeys[j]!)
      for (let k = 0; k < right.keys.length; k++) leftKeys.push(keyAt(right.keys, k))
      for (let k = 0; k < right.children.length; k++) {
        left.children.push(right.children[k]!)
        left.counts.push(right.counts[k]!)
      }
    } else {
      throw new Error('bplus: siblings of different kinds (leaves at different depths)')
    }
    parent.children[j] = left
    parent.counts[j]! += parent.counts[j + 1]!
    parentKeys.splice(j, 1)
    parent.children.splice(j + 1, 1)
    parent.counts.splice(j + 1, 1)
  }

  #own(node: Node): EditNode {
    return node.kind === LEAF ? this.#ownLeaf(node) : this.#ownBranch(node)
  }

  // Only nodes of the current session are owned. A copy shares the packed keys of a
  // stored node until they change (editKeys): most copies on a path (branches above
  // a leaf that did not split, a leaf whose value was replaced) never change them,
  // and the commit then writes the same key bytes without repacking them.
  #ownLeaf(leaf: Leaf): EditLeaf {
    if (leaf.owner === this.owner) return leaf as EditLeaf
    return new Leaf(leaf.keys instanceof Packed ? leaf.keys : leaf.keys.slice(), slotArray(leaf.values), this.owner)
  }

  #ownBranch(branch: Branch): EditBranch {
    if (branch.owner === this.owner) return branch
    return new Branch(branch.keys instanceof Packed ? branch.keys : branch.keys.slice(), branch.children.slice(), branch.counts.slice(), this.owner)
  }
}

/** The keys of a node of the current session, as an array it may change (packed ones are unpacked once). */
function editKeys(node: EditNode): Key[] {
  if (node.keys instanceof Packed) node.keys = node.keys.toArray()
  return node.keys
}

// Array.prototype.splice allocates the array of removed items on every call; these
// run once per insert or delete, so they shift in place instead.
function insertAt<T>(items: T[], at: number, item: T): void {
  for (let j = items.length; j > at; j--) items[j] = items[j - 1]!
  items[at] = item
}

function removeAt<T>(items: T[], at: number): void {
  const last = items.length - 1
  for (let j = at; j < last; j++) items[j] = items[j + 1]!
  items.pop()
}
