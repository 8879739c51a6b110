// Bottom-up construction of a perfectly balanced binary tree from entries in key
// order, for compaction: the middle entry becomes the root, recursively, so
// subtree sizes differ by at most one (a valid AVL tree); children and values are
// written before their node. Recursion depth is the tree's height, O(log n).

import { compareKeys, type Entry, type Key, NodeStore, type TreeContext } from '@dbdb/logical'
import { BinaryNode, binaryNodeType, plainBytes } from './binary-node.js'

export function buildBinaryTree(context: TreeContext, entries: Iterable<Entry>, count: number): number {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('count must be a whole number')
  const store = new NodeStore<BinaryNode>(context.storage, context.codec, context.cache, binaryNodeType)
  const source = entries[Symbol.iterator]()
  let previous: Key | undefined

  const next = (): Entry => {
    const r = source.next()
    if (r.done) throw new RangeError(`build() was promised ${count} entries and got fewer`)
    if (previous !== undefined && compareKeys(previous, r.value[0]) >= 0)
      throw new RangeError('build() needs entries in strictly increasing key order')
    previous = r.value[0]
    return r.value
  }

  const build = (n: number): { address: number | undefined; height: number } => {
    if (n === 0) return { address: undefined, height: 0 }
    const leftSize = (n - 1) >>> 1
    const left = build(leftSize)
    const [key, value] = next()
    const valueAddress = store.storeValue(value)
    const right = build(n - 1 - leftSize)
    const height = 1 + Math.max(left.height, right.height)
    const node = new BinaryNode(left.address, plainBytes(key), valueAddress, right.address, n, height)
    return { address: store.store(node), height }
  }

  const root = build(count)
  if (!source.next().done) throw new RangeError(`build() was promised ${count} entries and got more`)
  return root.address ?? 0
}
