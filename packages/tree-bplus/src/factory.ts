// The tree factories: `bplusTree` with the defaults, `createBPlusTree` for other
// node sizes. Node size is not part of the file format (each node records its own
// entries), so every configuration shares the id 'bplus' and reads, writes and
// checks every file (check() judges fill by what every order keeps: see check.ts).

import type { Entry, LogicalTree, TreeContext, TreeFactory } from '@dbdb/logical'
import { BPlusTree } from './bplus-tree.js'
import { buildTree } from './build.js'
import type { BPlusTreeSettings } from './settings.js'

/** Most keys per leaf, tuned by measurement (`pnpm --filter @dbdb/bench order`). */
export const DEFAULT_ORDER = 64
/** Values up to this many bytes live in their leaf; larger ones get a record of their own. */
export const DEFAULT_INLINE_VALUE_MAX = 1024
/** Smallest order for which split and merge keep every node at least half full. */
export const MIN_ORDER = 3

export interface BPlusTreeOptions {
  /** Most keys in a leaf; default DEFAULT_ORDER. */
  order?: number
  /**
   * Most children of a branch; default twice `order`. A branch entry (a short
   * separator, an address, a count) is a fraction of a leaf entry's size, so wider
   * branches cost little to write and keep the tree a level lower.
   */
  branchOrder?: number
  /** Largest value, in bytes, stored inside its leaf; default DEFAULT_INLINE_VALUE_MAX. */
  inlineValueMax?: number
}

export function createBPlusTree(options: BPlusTreeOptions = {}): TreeFactory {
  const settings = settingsOf(options)
  return Object.freeze({
    id: 'bplus',
    open(context: TreeContext, root: number): LogicalTree {
      return new BPlusTree(context, root, settings)
    },
    build(context: TreeContext, entries: Iterable<Entry>): number {
      return buildTree(context, settings, entries)
    },
  })
}

/** The production default tree. */
export const bplusTree: TreeFactory = createBPlusTree()

/** `options` checked, with the defaults filled in. */
export function settingsOf(options: BPlusTreeOptions): BPlusTreeSettings {
  const order = options.order ?? DEFAULT_ORDER
  const branchOrder = options.branchOrder ?? 2 * order
  const inlineValueMax = options.inlineValueMax ?? DEFAULT_INLINE_VALUE_MAX
  if (!Number.isSafeInteger(order) || order < MIN_ORDER)
    throw new RangeError(`order must be an integer >= ${MIN_ORDER}, not ${String(order)}`)
  if (!Number.isSafeInteger(branchOrder) || branchOrder < MIN_ORDER) {
    throw new RangeError(`branchOrder must be an integer >= ${MIN_ORDER}, not ${String(branchOrder)}`)
  }
  if (!Number.isSafeInteger(inlineValueMax) || inlineValueMax < 0)
    throw new RangeError(`inlineValueMax must be an integer >= 0, not ${String(inlineValueMax)}`)
  return Object.freeze({ order, branchOrder, inlineValueMax })
}
