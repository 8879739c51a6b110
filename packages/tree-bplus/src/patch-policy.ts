// When a changed node is written as a patch of its base rather than whole.

import type { Branch, Leaf } from './node.js'

/**
 * A leaf that was changed by a few keys since it was last written whole is written
 * as a patch of its base (see node-format.ts) instead of whole: at most one key in
 * PATCH_SHARE of the leaf's. A 48-key leaf changed once per commit is then written
 * whole every ~7 commits, which keeps the bytes written per commit near their least
 * (a quarter writes about as many, and made large transactions keep track of twice
 * as many keys per leaf before giving up: overwrites ~23% slower, not ~10%).
 */
export const PATCH_SHARE = 8

/** Whether a patch of `changes` keys (or children) is within its share of a node of `entries`. */
export function withinShare(changes: number, entries: number): boolean {
  return changes * PATCH_SHARE <= entries
}

/** Whether `leaf` is to be written as a patch of its base. */
export function isPatch(leaf: Leaf): boolean {
  const patch = leaf.patch
  return leaf.base !== 0 && patch !== null && patch.length > 0 && withinShare(patch.length, leaf.keys.length)
}

/** Whether `branch` is to be written as a patch of its base. */
export function isBranchPatch(branch: Branch): boolean {
  const changed = branch.changed
  return branch.base !== 0 && changed !== null && changed.length > 0 && withinShare(changed.length, branch.children.length)
}

/** `branch` (owned) loses its base: it is written whole. */
export function reshapedBranch(branch: Branch): void {
  branch.base = 0
  branch.changed = null
}

/** `leaf` (owned) loses its base: split, merged or lent to, it is written whole. */
export function reshaped(leaf: Leaf): void {
  leaf.base = 0
  leaf.patch = null
}
