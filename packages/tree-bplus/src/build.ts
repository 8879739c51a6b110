// Bottom-up construction of a packed B+ tree from entries in key order, for
// compaction: every node but the last of each level is full, nodes are written as
// they fill (leaves first, so children always precede parents), and memory holds
// only the nodes still being filled, one or two per level.

import { compareKeys, type Entry, type Key, NodeStore, type TreeContext } from '@dbdb/logical'
import { Branch, Leaf, type Node, separator } from './node.js'
import { BPlusNodeType } from './node-type.js'
import { NO_OWNER } from './owner.js'
import { Packed } from './packed.js'
import { PackedValues, type Slot } from './packed-values.js'
import type { BPlusTreeSettings } from './settings.js'

/** A stored subtree waiting for its parent. */
interface Child {
  address: number
  count: number
  first: Key
  last: Key
}

/** One level under construction: `open` is filling; `held` is the last full group, kept back so the level's last node can borrow from it. */
interface Level<T> {
  held: T[] | undefined
  open: T[]
}

export function buildTree(context: TreeContext, settings: BPlusTreeSettings, entries: Iterable<Entry>): number {
  const store = new NodeStore<Node>(context.storage, context.codec, context.cache, new BPlusNodeType())
  const { order, branchOrder, inlineValueMax } = settings
  const leaves: Level<Entry> = { held: undefined, open: [] }
  const branches: Array<Level<Child>> = []

  const push = <T>(level: Level<T>, item: T, size: number, emit: (group: T[]) => void): void => {
    level.open.push(item)
    if (level.open.length === size) {
      if (level.held) emit(level.held)
      level.held = level.open
      level.open = []
    }
  }
  const pushChild = (depth: number, child: Child): void => {
    let level = branches[depth]
    if (level === undefined) {
      level = { held: undefined, open: [] }
      branches[depth] = level
    }
    push(level, child, branchOrder, (group) => emitBranch(depth, group))
  }
  const emitLeaf = (group: Entry[]): void => {
    const keys = group.map(([k]) => k)
    const values: Slot[] = group.map(([, v]) => (v.length > inlineValueMax ? store.storeValue(v) : v))
    const address = store.store(new Leaf(Packed.of(keys), PackedValues.of(values), NO_OWNER))
    pushChild(0, { address, count: group.length, first: keys[0]!, last: keys[keys.length - 1]! })
  }
  const emitBranch = (depth: number, group: Child[]): void => {
    const keys = group.slice(1).map((c, i) => separator(group[i]!.last, c.first))
    const node = new Branch(
      Packed.of(keys),
      group.map((c) => c.address),
      group.map((c) => c.count),
      NO_OWNER,
    )
    const address = store.store(node)
    const count = group.reduce((n, c) => n + c.count, 0)
    pushChild(depth + 1, { address, count, first: group[0]!.first, last: group[group.length - 1]!.last })
  }

  let previous: Key | undefined
  for (const entry of entries) {
    if (previous !== undefined && compareKeys(previous, entry[0]) >= 0)
      throw new RangeError('build() needs entries in strictly increasing key order')
    previous = entry[0]
    push(leaves, entry, order, emitLeaf)
  }
  if (previous === undefined) return 0

  // Close the levels bottom-up. The last node of a level may be small (the fill
  // rule exempts the right edge) but a branch needs two children: borrow from the
  // held-back full node, which stays at least half full since order >= 3.
  finish(leaves, 1, emitLeaf)
  for (let depth = 0; ; depth++) {
    const level = branches[depth]!
    if (level.held === undefined && level.open.length === 1) return level.open[0]!.address
    finish(level, 2, (group) => emitBranch(depth, group))
  }
}

function finish<T>(level: Level<T>, least: number, emit: (group: T[]) => void): void {
  const { held, open } = level
  if (held && open.length > 0 && open.length < least) open.unshift(...held.splice(held.length - (least - open.length)))
  if (held) emit(held)
  if (open.length > 0) emit(open)
  level.held = undefined
  level.open = []
}
