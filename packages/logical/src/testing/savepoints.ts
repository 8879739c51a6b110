// Savepoints in seeded tests of a tree against a Map model.

import type { LogicalTree } from '../logical-tree.js'
import { randomInt } from './random.js'

/**
 * A step to call before each operation of a transaction: now and then it takes a
 * savepoint (remembering the model as it is), or rolls the tree and the model back
 * to one taken before, any of them, in any order (an earlier one, then a later one).
 */
export function savepointsAtRandom<V>(rand: () => number, tree: LogicalTree, model: Map<string, V>): () => void {
  const saved: Array<{ point: unknown; model: Map<string, V> }> = []
  return () => {
    if (rand() < 0.1) saved.push({ point: tree.savepoint(), model: new Map(model) })
    if (saved.length > 0 && rand() < 0.05) {
      const back = saved[randomInt(rand, saved.length)]!
      tree.rollbackTo(back.point)
      model.clear()
      for (const [k, v] of back.model) model.set(k, v)
    }
  }
}
