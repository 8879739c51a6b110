// The editor's own fill rule for named orders, for this package's tests: leaves of
// ceil(order / 2) to order keys, branches of ceil(branchOrder / 2) to branchOrder
// children, the right edge aside (see editor.ts). A test states the orders whose
// rule it asserts, whatever orders the tree it checks was opened with.
import type { LogicalTree, TreeContext, TreeFactory } from '@dbdb/logical'
import { BPlusTree } from './bplus-tree.js'
import { type CheckLimits, fillRule } from './check.js'
import { type BPlusTreeOptions, createBPlusTree, settingsOf } from './factory.js'
import type { BPlusTreeSettings } from './settings.js'

/** Runs check() on `tree`, judging fill by the editor's rule for `orders` (defaults filled in as createBPlusTree does). */
export function checkFill(tree: LogicalTree, orders: BPlusTreeOptions = {}): void {
  if (!(tree instanceof BPlusTree)) throw new TypeError('checkFill: not a B+ tree')
  tree.checkWith(fillRule(settingsOf(orders)))
}

/** createBPlusTree(options), but the check() of every tree it opens also judges fill by the editor's rule for these orders. */
export function strictBPlusTree(options: BPlusTreeOptions = {}): TreeFactory {
  const settings = settingsOf(options)
  const limits = fillRule(settings)
  return Object.freeze({
    ...createBPlusTree(options),
    open(context: TreeContext, root: number): LogicalTree {
      return new StrictBPlusTree(context, root, settings, limits)
    },
  })
}

class StrictBPlusTree extends BPlusTree {
  readonly #limits: CheckLimits
  constructor(context: TreeContext, root: number, settings: BPlusTreeSettings, limits: CheckLimits) {
    super(context, root, settings)
    this.#limits = limits
  }

  override check(): void {
    this.checkWith(this.#limits)
  }
}
