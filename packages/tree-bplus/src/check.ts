// The invariant check: walks the whole tree and throws at the first broken rule.
// A rule broken by a stored node is reported as DBDB_CORRUPT naming its address;
// one broken by a node of the open transaction is a bug, reported as a plain Error.
//
// Key order, separator bounds, subtree counts, equal leaf depth and every record
// are judged strictly. Fill is judged only by what every order keeps (ANY_ORDER):
// `order` and `branchOrder` are a writer's tuning, which the file does not record,
// and any tree opens and writes with any, so a sound tree may hold nodes larger
// than the opened orders allow or smaller than half of them. How full a node is
// says how well the tree is balanced, not whether it is damaged; only a node no
// order could have written (one key, or one child, off the right edge) is damage.
// The editor's own, stricter rule for its orders (fillRule) is for its tests.

import { compareKeys, corrupt, type Key, type NodeRef, type NodeStore } from '@dbdb/logical'
import { BRANCH, type Node, readSlot } from './node.js'
import { LargeValue } from './packed-values.js'

export interface CheckLimits {
  /** Most keys a leaf may hold. */
  readonly order: number
  /** Fewest keys a leaf off the right edge may hold (on it: one). */
  readonly min: number
  /** Most children a branch may have. */
  readonly branchOrder: number
  /** Fewest children a branch off the right edge may have (on it: two). */
  readonly branchMin: number
}

/**
 * What every order keeps, off the right edge: two keys in a leaf and two children in
 * a branch (half of MIN_ORDER, 3, rounded up), and no most.
 */
export const ANY_ORDER: CheckLimits = Object.freeze({
  order: Number.POSITIVE_INFINITY,
  min: 2,
  branchOrder: Number.POSITIVE_INFINITY,
  branchMin: 2,
})

/** The editor's fill rule for `order` and `branchOrder` (see editor.ts). */
export function fillRule(orders: { readonly order: number; readonly branchOrder: number }): CheckLimits {
  const { order, branchOrder } = orders
  return { order, min: Math.ceil(order / 2), branchOrder, branchMin: Math.ceil(branchOrder / 2) }
}

/** Checks the tree under `root` and returns its key count. */
export function checkTree(store: NodeStore<Node>, root: NodeRef<Node>, limits: CheckLimits): number {
  if (root === 0) return 0
  const leafDepths = new Set<number>()
  const count = checkNode(store, root, limits, undefined, undefined, 0, true, leafDepths)
  if (leafDepths.size !== 1) throw new Error(`bplus: leaves at different depths ${[...leafDepths].join(', ')}`)
  return count
}

/** Every key k of the subtree satisfies lower <= k < upper; `edge`: the last node of its level. */
function checkNode(
  store: NodeStore<Node>,
  ref: NodeRef<Node>,
  limits: CheckLimits,
  lower: Key | undefined,
  upper: Key | undefined,
  depth: number,
  edge: boolean,
  leafDepths: Set<number>,
): number {
  const node = store.load(ref)
  const address = typeof ref === 'number' ? ref : undefined
  const fail = (why: string): never => {
    throw address === undefined ? new Error(`bplus: invariant broken at depth ${depth}: ${why}`) : corrupt(address, why)
  }
  const keys = node.keys.toArray()
  for (let i = 0; i < keys.length; i++) {
    if (!(keys[i] instanceof Uint8Array)) fail(`key ${i} is not bytes`)
    if (i > 0 && compareKeys(keys[i - 1]!, keys[i]!) >= 0) fail(`keys ${i - 1} and ${i} are out of order`)
  }
  if (keys.length > 0) {
    if (lower !== undefined && compareKeys(keys[0]!, lower) < 0) fail('a key is below its separator')
    if (upper !== undefined && compareKeys(keys[keys.length - 1]!, upper) >= 0) fail('a key is not below its separator')
  }
  if (node.kind !== BRANCH) {
    const values = node.values.toArray()
    if (values.length !== keys.length) fail('a leaf has not one value per key')
    const least = edge ? 1 : limits.min
    if (keys.length > limits.order) fail(`a leaf holds ${keys.length} keys, more than ${limits.order}`)
    if (keys.length < least) fail(`a leaf holds ${keys.length} keys, fewer than ${least}`)
    for (const slot of values) {
      if (!(slot instanceof Uint8Array || slot instanceof LargeValue || typeof slot === 'number'))
        fail('a value is neither bytes nor an address')
      if (!(readSlot(slot, store) instanceof Uint8Array)) fail('a value record is not bytes')
    }
    leafDepths.add(depth)
    return keys.length
  }

  const { children, counts } = node
  if (children.length !== keys.length + 1) fail('a branch has not one separator between each two children')
  if (counts.length !== children.length) fail('a branch has not one count per child')
  if (children.length > limits.branchOrder) fail(`a branch has ${children.length} children, more than ${limits.branchOrder}`)
  const least = edge ? 2 : limits.branchMin
  if (children.length < least) fail(`a branch has ${children.length} children, fewer than ${least}`)
  let total = 0
  for (let i = 0; i < children.length; i++) {
    const last = i === children.length - 1
    const n = checkNode(
      store,
      children[i]!,
      limits,
      i === 0 ? lower : keys[i - 1],
      last ? upper : keys[i],
      depth + 1,
      edge && last,
      leafDepths,
    )
    if (counts[i] !== n) fail(`child ${i} is counted ${counts[i]} but holds ${n} keys`)
    total += n
  }
  return total
}
