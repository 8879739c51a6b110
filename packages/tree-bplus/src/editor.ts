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
// Fill rule, kept by split and rebalance: a leaf holds at most `order` keys and a
// branch at most `branchOrder` children. Every node holds at least half its
// maximum (`min`, `branchMin`, rounded up), except those on the right edge (the
// last node of each level, the root among them), which need only one key (a leaf)
// or two children (a branch). The exception makes appending in key order fill nodes completely:
// when the last leaf overflows with a key beyond every other, it keeps `order`
// keys and the new key starts a new last leaf (SQLite's "quick balance", LMDB's
// append mode), instead of leaving a trail of half-full leaves behind. An empty
// tree has no root at all (address 0).
//
// The orders are this editor's, not the file's: a tree written with other orders
// may hold nodes outside this rule, and edits split, merge and borrow by this
// editor's orders all the same. A tree written with several orders in turn keeps
// the rule of their range: at most the largest order, and off the right edge at
// least half the smallest. An insert splits only a node it takes past this order,
// into halves no larger than that node and at least half this order. A delete that
// takes a node below half this order borrows one entry back for it (so it ends as
// large as it was) from a sibling above that half (which stays at least that
// large), or merges the two, which then fit in this order.

import type { Key, NodeRef, NodeStore } from '@dbdb/logical'
import { BRANCH, Branch, countOf, entriesOf, LEAF, Leaf, type Node, separator, upperBound } from './node.js'
import { NO_OWNER, type Owner } from './owner.js'
import { Packed } from './packed.js'
import { LargeValue, PackedValues, type Slot } from './packed-values.js'
import { changedChild, reshaped, reshapedBranch, touch } from './patch-policy.js'
import type { BPlusTreeSettings } from './settings.js'

/** The empty tree. */
export const EMPTY = 0

export class Editor {
  readonly store: NodeStore<Node>
  readonly order: number
  readonly min: number
  readonly branchOrder: number
  readonly branchMin: number
  readonly inlineValueMax: number
  /**
   * The last session id handed out. Ids are counted per tree: a node its sessions own
   * is reachable only from this tree's roots (stored nodes, in the shared cache, are
   * owned by none), so no other tree's session can meet it.
   */
  #sessions: Owner = NO_OWNER
  /** The current edit session's token. */
  owner: Owner = ++this.#sessions
  /** Whether the last insert added a key (false: it replaced a value). */
  added = false
  /** Whether the last remove found its key. */
  removed = false
  /**
   * Addresses of stored nodes this transaction replaced (copied or merged away): the
   * tree drops them from the cache when it commits (NodeStore.superseded).
   */
  superseded: number[] = []
  // A split's result, handed from a child to its parent.
  #splitRight: Node | undefined
  #splitKey: Key | undefined

  constructor(store: NodeStore<Node>, settings: BPlusTreeSettings) {
    this.store = store
    this.order = settings.order
    this.min = Math.ceil(settings.order / 2)
    this.branchOrder = settings.branchOrder
    this.branchMin = Math.ceil(settings.branchOrder / 2)
    this.inlineValueMax = settings.inlineValueMax
  }

  /** The fewest entries a node other than the root may hold (see the fill rule above). */
  least(kind: typeof LEAF | typeof BRANCH, edge: boolean): number {
    if (!edge) return kind === LEAF ? this.min : this.branchMin
    return kind === LEAF ? 1 : 2
  }

  /** Ends the session: every node that exists now is shared from here on. */
  freeze(): void {
    this.owner = ++this.#sessions
  }

  /** Returns the new root (always a node of the current session). */
  insert(root: NodeRef<Node>, key: Key, value: Uint8Array): Node {
    // The bytes are copied into the leaf; a large value is kept until the commit
    // stores it, so it is copied here.
    const slot: Slot = value.length > this.inlineValueMax ? new LargeValue(value.slice()) : value
    if (root === EMPTY) {
      this.added = true
      return new Leaf(Packed.of([key], this.owner), PackedValues.of([slot], this.owner), this.owner)
    }
    const loaded = this.store.load(root)
    const top = this.#insert(loaded, key, slot, true)
    this.#supersede(root, loaded)
    const right = this.#splitRight
    if (right === undefined) return top
    this.#splitRight = undefined
    return new Branch(Packed.of([this.#splitKey!], this.owner), [top, right], [countOf(top), countOf(right)], this.owner)
  }

  /** Returns the new root, or `root` itself (untouched, nothing copied) when `key` is absent. */
  remove(root: NodeRef<Node>, key: Key): NodeRef<Node> {
    this.removed = false
    if (root === EMPTY) return EMPTY
    const loaded = this.store.load(root)
    const top = this.#remove(loaded, key, true)
    if (top === undefined) return root
    this.#supersede(root, loaded)
    this.removed = true
    if (top.kind === LEAF) return top.keys.length === 0 ? EMPTY : top
    // A merge below the root can leave it with one child, which becomes the root.
    return top.children.length === 1 ? top.children[0]! : top
  }

  /** `edge`: `node` is the last of its level, so appends past its end may split unevenly. */
  #insert(node: Node, key: Key, slot: Slot, edge: boolean): Node {
    if (node.kind === LEAF) {
      const i = node.keys.search(key)
      const leaf = this.#ownLeaf(node, i < 0)
      if (leaf.base !== 0) touch(leaf, key, this.owner, this.order)
      if (i >= 0) {
        this.#valueGone(leaf, i)
        leaf.values.replace(i, slot)
        this.added = false
        return leaf
      }
      this.#keys(leaf).insert(~i, key)
      leaf.values.insert(~i, slot)
      this.added = true
      const n = leaf.keys.length
      if (n > this.order) this.#splitLeaf(leaf, edge && ~i === n - 1 ? n - 1 : Math.ceil(n / 2))
      return leaf
    }
    const i = upperBound(node.keys, key)
    const ref = node.children[i]!
    const below = this.store.load(ref)
    // Every node on the path comes back as the current session's: a stored one was copied.
    const child = this.#insert(below, key, slot, edge && i === node.children.length - 1)
    this.#supersede(ref, below)
    const branch = this.#ownBranch(node)
    branch.children[i] = child
    const right = this.#splitRight
    if (right === undefined) {
      if (this.added) branch.counts[i]!++
      if (branch.base !== 0) changedChild(branch, i)
      return branch
    }
    this.#splitRight = undefined
    branch.counts[i] = countOf(child)
    this.#keys(branch).insert(i, this.#splitKey!)
    branch.children.splice(i + 1, 0, right)
    branch.counts.splice(i + 1, 0, countOf(right))
    const n = branch.children.length
    if (n > this.branchOrder) this.#splitBranch(branch, edge && i + 2 === n ? n - 2 : Math.ceil(n / 2))
    return branch
  }

  // A split leaves `mid` entries on the left. Even splits keep the larger half on the
  // left, so both hold at least ceil(order / 2); an append on the right edge keeps a
  // full node on the left and starts the new last node with what was appended.
  #splitLeaf(leaf: Leaf, mid: number): void {
    reshaped(leaf)
    const keys = this.#keys(leaf)
    this.#splitKey = separator(keys.at(mid - 1), keys.at(mid))
    this.#splitRight = new Leaf(keys.splitOff(mid, this.owner), leaf.values.splitOff(mid, this.owner), this.owner)
  }

  #splitBranch(branch: Branch, mid: number): void {
    const keys = this.#keys(branch)
    const right = keys.splitOff(mid, this.owner)
    this.#splitKey = keys.at(mid - 1).slice()
    keys.remove(mid - 1)
    this.#splitRight = new Branch(right, branch.children.splice(mid), branch.counts.splice(mid), this.owner)
  }

  #remove(node: Node, key: Key, edge: boolean): Node | undefined {
    if (node.kind === LEAF) {
      const i = node.keys.search(key)
      if (i < 0) return undefined
      const leaf = this.#ownLeaf(node, true)
      if (leaf.base !== 0) touch(leaf, key, this.owner, this.order)
      this.#keys(leaf).remove(i)
      this.#valueGone(leaf, i)
      leaf.values.remove(i)
      return leaf
    }
    const i = upperBound(node.keys, key)
    const childEdge = edge && i === node.children.length - 1
    const ref = node.children[i]!
    const below = this.store.load(ref)
    // A child at its minimum may fall below it (a removal takes one entry off a node
    // at most), and then needs a sibling. Read it now, on the way down: every read
    // happens before anything changes, so one that fails (EIO, a corrupt record)
    // leaves the tree as it was instead of half edited.
    const j = i > 0 ? i - 1 : i + 1
    const sibling = entriesOf(below) <= this.least(below.kind, childEdge) ? this.store.load(node.children[j]!) : undefined
    const child = this.#remove(below, key, childEdge)
    if (child === undefined) return undefined
    this.#supersede(ref, below)
    const branch = this.#ownBranch(node)
    branch.children[i] = child
    branch.counts[i]!--
    if (branch.base !== 0) changedChild(branch, i)
    if (entriesOf(child) < this.least(child.kind, childEdge)) this.#rebalance(branch, i, child, j, sibling!)
    return branch
  }

  /**
   * `child` (at `i`, owned) fell below the minimum: borrow from its sibling at `j` (the
   * left one if there is one, so only one is ever read) or merge with it.
   */
  #rebalance(parent: Branch, i: number, child: Node, j: number, sibling: Node): void {
    // Borrowing copies the sibling; merging copies it or empties it into `child`.
    this.#supersede(parent.children[j]!, sibling)
    const canLend = entriesOf(sibling) > this.least(sibling.kind, false)
    if (j < i) {
      if (canLend) this.#borrowFromLeft(parent, i, this.#own(sibling), child)
      else this.#merge(parent, j, this.#own(sibling), child)
    } else {
      if (canLend) this.#borrowFromRight(parent, i, child, this.#own(sibling))
      else this.#merge(parent, i, child, sibling)
    }
  }

  // Borrowing copies an entry into `child` before removing it from the sibling: the
  // views taken of the sibling's bytes stay right until then.
  #borrowFromLeft(parent: Branch, i: number, left: Node, child: Node): void {
    parent.children[i - 1] = left
    let moved: number
    const parentKeys = this.#keys(parent)
    const leftKeys = this.#keys(left)
    const last = leftKeys.length - 1
    if (left.kind === LEAF && child.kind === LEAF) {
      reshaped(left)
      reshaped(child)
      this.#keys(child).insert(0, leftKeys.at(last))
      child.values.insert(0, left.values.at(last))
      parentKeys.replace(i - 1, separator(leftKeys.at(last - 1), leftKeys.at(last)))
      left.values.remove(last)
      moved = 1
    } else if (left.kind === BRANCH && child.kind === BRANCH) {
      moved = left.counts.pop()!
      child.children.unshift(left.children.pop()!)
      child.counts.unshift(moved)
      this.#keys(child).insert(0, parentKeys.at(i - 1))
      parentKeys.replace(i - 1, leftKeys.at(last))
    } else {
      throw new Error('bplus: siblings of different kinds (leaves at different depths)')
    }
    leftKeys.remove(last)
    parent.counts[i - 1]! -= moved
    parent.counts[i]! += moved
  }

  #borrowFromRight(parent: Branch, i: number, child: Node, right: Node): void {
    parent.children[i + 1] = right
    let moved: number
    const parentKeys = this.#keys(parent)
    const rightKeys = this.#keys(right)
    const childKeys = this.#keys(child)
    if (right.kind === LEAF && child.kind === LEAF) {
      reshaped(right)
      reshaped(child)
      childKeys.insert(childKeys.length, rightKeys.at(0))
      child.values.insert(child.values.length, right.values.at(0))
      parentKeys.replace(i, separator(rightKeys.at(0), rightKeys.at(1)))
      right.values.remove(0)
      moved = 1
    } else if (right.kind === BRANCH && child.kind === BRANCH) {
      moved = right.counts.shift()!
      child.children.push(right.children.shift()!)
      child.counts.push(moved)
      childKeys.insert(childKeys.length, parentKeys.at(i))
      parentKeys.replace(i, rightKeys.at(0))
    } else {
      throw new Error('bplus: siblings of different kinds (leaves at different depths)')
    }
    rightKeys.remove(0)
    parent.counts[i]! += moved
    parent.counts[i + 1]! -= moved
  }

  /** Moves everything of children[j + 1] into children[j] (`left`, owned) and drops the right one. */
  #merge(parent: Branch, j: number, left: Node, right: Node): void {
    const parentKeys = this.#keys(parent)
    const leftKeys = this.#keys(left)
    if (left.kind === LEAF && right.kind === LEAF) {
      reshaped(left)
      leftKeys.append(right.keys)
      left.values.append(right.values)
    } else if (left.kind === BRANCH && right.kind === BRANCH) {
      leftKeys.insert(leftKeys.length, parentKeys.at(j))
      leftKeys.append(right.keys)
      left.children.push(...right.children)
      left.counts.push(...right.counts)
    } else {
      throw new Error('bplus: siblings of different kinds (leaves at different depths)')
    }
    parent.children[j] = left
    parent.counts[j]! += parent.counts[j + 1]!
    parentKeys.remove(j)
    parent.children.splice(j + 1, 1)
    parent.counts.splice(j + 1, 1)
  }

  #own(node: Node): Node {
    return node.kind === LEAF ? this.#ownLeaf(node, true) : this.#ownBranch(node)
  }

  // Only nodes of the current session are owned. A copy shares the keys of the node
  // it copies until they change (#keys): most copies on a path (branches above a
  // leaf that did not split, a leaf whose value was replaced) never change them, and
  // the commit then writes the same key bytes without copying them. A leaf's values
  // change whenever the leaf does, so they are copied at once; and so are its keys
  // when the caller knows they change (an insert or a delete), in the same buffer:
  // each typed array with a buffer of its own is one more allocation outside V8's
  // heap to make and later free.
  #ownLeaf(leaf: Leaf, keysChange: boolean): Leaf {
    if (leaf.owner === this.owner) return leaf
    let keys = leaf.keys
    let values: PackedValues
    if (keysChange && keys.owner !== this.owner) {
      const keyBytes = keys.used + keys.defaultRoom
      const inline = leaf.values.inline
      const both = new Uint8Array(keyBytes + inline.used + inline.defaultRoom)
      keys = keys.copy(this.owner, both.subarray(0, keyBytes))
      values = leaf.values.copy(this.owner, both.subarray(keyBytes))
    } else values = leaf.values.copy(this.owner)
    const own = new Leaf(keys, values, this.owner)
    own.base = leaf.base
    own.patch = leaf.patch
    return own
  }

  #ownBranch(branch: Branch): Branch {
    if (branch.owner === this.owner) return branch
    const own = new Branch(branch.keys, branch.children.slice(), branch.counts.slice(), this.owner)
    own.base = branch.base
    own.changed = branch.changed
    return own
  }

  /**
   * The stored node at `ref` (`node`) is replaced by this transaction: its address is
   * noted for the commit to drop from the cache, and so is its base if it is a node
   * read from a patch (the read brought the base into the cache; the commit caches the
   * node's next version whole, so the base is read again only if that is evicted).
   */
  #supersede(ref: NodeRef<Node>, node: Node): void {
    if (typeof ref !== 'number') return
    this.superseded.push(ref)
    if (node.kind === LEAF ? node.patch !== null : node.changed !== null) this.superseded.push(node.base)
  }

  /** Value i of `leaf` is being replaced or deleted: a record of its own is superseded. */
  #valueGone(leaf: Leaf, i: number): void {
    const address = leaf.values.addresses?.[i]
    if (typeof address === 'number') this.superseded.push(address)
  }

  /**
   * The keys of a node of the current session, made its own before they change. A
   * branch whose keys change (a split, borrow or merge, which moves children too)
   * is written whole: a branch patch only replaces children.
   */
  #keys(node: Node): Packed {
    if (node.kind === BRANCH) reshapedBranch(node)
    if (node.keys.owner !== this.owner) node.keys = node.keys.copy(this.owner)
    return node.keys
  }
}
