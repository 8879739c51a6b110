// The editor's own fill rule for named orders, for this package's tests. check()
// judges a stored tree's fill only by what every order keeps (see check.ts); the
// rule the editor keeps for its orders is stricter: leaves of ceil(order / 2) to
// order keys, branches of ceil(branchOrder / 2) to branchOrder children, the right
// edge aside. A tree written with several orders in turn keeps the rule of their
// range (see editor.ts). A test states the orders whose rule it asserts.
import type { LogicalTree, TreeContext, TreeFactory } from '@dbdb/logical'
import { BPlusTree } from './bplus-tree.js'
import { type CheckLimits, fillRule } from './check.js'
import { type BPlusTreeOptions, createBPlusTree, settingsOf } from './factory.js'
import type { BPlusTreeSettings } from './settings.js'

/**
 * Runs check() on `tree`, judging fill by the editor's rule for `orders` (defaults
 * filled in as createBPlusTree does); given several, by the rule of their range.
 */
export function checkFill(tree: LogicalTree, orders: BPlusTreeOptions = {}, ...more: BPlusTreeOptions[]): void {
  if (!(tree instanceof BPlusTree)) throw new TypeError('checkFill: not a B+ tree')
  const rules = [orders, ...more].map((o) => fillRule(settingsOf(o)))
  tree.checkWith({
    order: Math.max(...rules.map((r) => r.order)),
    min: Math.min(...rules.map((r) => r.min)),
    branchOrder: Math.max(...rules.map((r) => r.branchOrder)),
    branchMin: Math.min(...rules.map((r) => r.branchMin)),
  })
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
