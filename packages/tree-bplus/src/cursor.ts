// Ordered iteration over a range: an explicit stack of (branch, child index) per
// level above the current leaf. It descends once to where the range starts, then
// steps leaf to leaf, and stops before loading any node wholly outside the range.

import { aboveLower, type Bounds, belowUpper, compareKeys, type Entry, type NodeRef, type NodeStore } from '@dbdb/logical'
import { BRANCH, type Branch, type Leaf, lowerBound, type Node, readSlot, upperBound } from './node.js'

/** Entries of the tree under `root` (a value captured by the caller) within `bounds`, lazily. */
export function* scan(store: NodeStore<Node>, root: NodeRef<Node>, bounds: Bounds): Generator<Entry, void, undefined> {
  let remaining = bounds.limit
  if (root === 0 || remaining === 0) return
  const { lower, upper, reverse } = bounds
  const path: Branch[] = []
  const at: number[] = []

  // Down to the leaf where the range starts.
  let node = store.load(root)
  while (node.kind === BRANCH) {
    let i: number
    if (!reverse) i = lower === undefined ? 0 : upperBound(node.keys, lower)
    else if (upper === undefined) i = node.children.length - 1
    else i = bounds.upperInclusive ? upperBound(node.keys, upper) : lowerBound(node.keys, upper)
    path.push(node)
    at.push(i)
    node = store.load(node.children[i]!)
  }
  let leaf: Leaf = node
  let i: number
  if (!reverse) i = lower === undefined ? 0 : bounds.lowerInclusive ? lowerBound(leaf.keys, lower) : upperBound(leaf.keys, lower)
  else if (upper === undefined) i = leaf.keys.length - 1
  else i = (bounds.upperInclusive ? upperBound(leaf.keys, upper) : lowerBound(leaf.keys, upper)) - 1

  for (;;) {
    if (!reverse) {
      for (; i < leaf.keys.length; i++) {
        const key = leaf.keys.at(i)
        if (!belowUpper(key, bounds)) return
        yield [key, readSlot(leaf.values.at(i), store)]
        if (--remaining === 0) return
      }
    } else {
      for (; i >= 0; i--) {
        const key = leaf.keys.at(i)
        if (!aboveLower(key, bounds)) return
        yield [key, readSlot(leaf.values.at(i), store)]
        if (--remaining === 0) return
      }
    }

    // Up to the nearest branch with a sibling subtree in our direction...
    let depth = path.length - 1
    if (!reverse) {
      while (depth >= 0 && at[depth]! + 1 >= path[depth]!.children.length) depth--
      if (depth < 0) return
      // ...unless everything from that sibling on lies past the range.
      if (!belowUpper(path[depth]!.keys.at(at[depth]!), bounds)) return
      at[depth]!++
    } else {
      while (depth >= 0 && at[depth]! === 0) depth--
      if (depth < 0) return
      if (lower !== undefined && compareKeys(path[depth]!.keys.at(at[depth]! - 1), lower) <= 0) return
      at[depth]!--
    }
    // ...and down its nearest edge to a leaf.
    let next = store.load(path[depth]!.children[at[depth]!]!)
    while (next.kind === BRANCH) {
      depth++
      const edge = reverse ? next.children.length - 1 : 0
      path[depth] = next
      at[depth] = edge
      next = store.load(next.children[edge]!)
    }
    leaf = next
    i = reverse ? leaf.keys.length - 1 : 0
  }
}
