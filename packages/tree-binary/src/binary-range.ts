// Range reads over a binary tree: the ordered, lazy iteration (an explicit stack, so
// depth never touches the call stack) and counting in O(height) from subtree sizes.

import { aboveLower, type Bounds, belowUpper, compareKeys, type Entry, type Key, type NodeStore, type Range, toBounds } from '@dbdb/logical'
import { type BinaryNode, type Child, loadChild, loadValue } from './binary-node.js'

/**
 * Entries of the tree rooted at `root` within `range`. The caller passes the root it
 * has now; since nodes never change, the walk sees that tree whatever happens next.
 */
export function walkRange(store: NodeStore<BinaryNode>, root: Child, range?: Range): IterableIterator<Entry> {
  return walk(store, root, toBounds(range))
}

function* walk(store: NodeStore<BinaryNode>, root: Child, bounds: Bounds): Generator<Entry, undefined, undefined> {
  if (bounds.limit <= 0) return undefined
  const forward = !bounds.reverse
  // In the walking direction: `from` says whether a key has passed the starting bound, `until` whether it is short of the far one.
  const from = forward ? aboveLower : belowUpper
  const until = forward ? belowUpper : aboveLower
  // The nodes still to visit, the next one on top; never deeper than the tree.
  const stack: BinaryNode[] = []
  const descend = (ref: Child, parent: BinaryNode | undefined): void => {
    while (ref !== undefined) {
      const node = loadChild(store, ref, parent)
      if (from(node.key, bounds)) {
        stack.push(node)
        ref = forward ? node.left : node.right
      } else {
        // This node and everything on its near side are before the range.
        ref = forward ? node.right : node.left
      }
      parent = node
    }
  }
  descend(root, undefined)
  let yielded = 0
  while (stack.length > 0) {
    const node = stack.pop()!
    // Every key after this one is further still: nothing more is in range.
    if (!until(node.key, bounds)) return undefined
    yield [node.key, loadValue(store, node.value)]
    if (++yielded >= bounds.limit) return undefined
    descend(forward ? node.right : node.left, node)
  }
  return undefined
}

/** Keys of the tree rooted at `root` within `range` (at most its limit), in O(height). */
export function countRange(store: NodeStore<BinaryNode>, root: Child, range?: Range): number {
  if (root === undefined) return 0
  const bounds = toBounds(range)
  const top = loadChild(store, root)
  const upTo = bounds.upper === undefined ? top.size : countBefore(store, top, bounds.upper, bounds.upperInclusive)
  const before = bounds.lower === undefined ? 0 : countBefore(store, top, bounds.lower, !bounds.lowerInclusive)
  return Math.min(Math.max(0, upTo - before), bounds.limit)
}

/** Keys less than `key`, or not greater than it when `inclusive`. */
function countBefore(store: NodeStore<BinaryNode>, top: BinaryNode, key: Key, inclusive: boolean): number {
  let count = 0
  let node: BinaryNode | undefined = top
  while (node !== undefined) {
    const c = compareKeys(node.key, key)
    const left: BinaryNode | undefined = node.left === undefined ? undefined : loadChild(store, node.left, node)
    const leftSize = left === undefined ? 0 : left.size
    if (c === 0) return count + leftSize + (inclusive ? 1 : 0)
    if (c < 0) {
      count += leftSize + 1
      node = node.right === undefined ? undefined : loadChild(store, node.right, node)
    } else {
      node = left
    }
  }
  return count
}
