// When a changed node is written as a patch of its base rather than whole.

import type { Key } from '@dbdb/logical'
import type { Branch, Leaf } from './node.js'
import type { Owner } from './owner.js'
import { Packed } from './packed.js'

/**
 * A leaf that was changed by a few keys since it was last written whole is written
 * as a patch of its base (see node-format.ts) instead of whole: at most one key in
 * PATCH_SHARE of the leaf's. A 48-key leaf changed once per commit is then written
 * whole every seventh commit, which keeps the bytes written per commit near their
 * least. A larger share (a quarter) writes about as many bytes, but a large
 * transaction then keeps track of twice as many keys per leaf before giving up, which
 * its overwrites pay for.
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

/**
 * Notes that child i of `branch` (owned, with a base) changed, for the patch the
 * commit may write instead of the whole branch; past the share a patch may have,
 * the branch is written whole and stops keeping track. The list is copied before
 * it grows: the stored node it came from keeps its own.
 */
export function changedChild(branch: Branch, i: number): void {
  const changed = branch.changed
  const n = changed === null ? 0 : changed.length
  let at = 0
  while (at < n && changed![at]! < i) at++
  if (at < n && changed![at] === i) return
  if (!withinShare(n + 1, branch.children.length)) {
    reshapedBranch(branch)
    return
  }
  const grown = new Array<number>(n + 1)
  for (let j = 0; j < at; j++) grown[j] = changed![j]!
  grown[at] = i
  for (let j = at; j < n; j++) grown[j + 1] = changed![j]!
  branch.changed = grown
}

/**
 * Notes that `key` is set or deleted in `leaf` (owned by `owner`, with a base), for
 * the patch the commit may write instead of the whole leaf; past the share a patch
 * of a leaf of `order` keys may have, the leaf is written whole and stops keeping track.
 */
export function touch(leaf: Leaf, key: Key, owner: Owner, order: number): void {
  let patch = leaf.patch
  const i = patch === null ? -1 : patch.search(key)
  if (i >= 0) return
  if (!withinShare((patch === null ? 0 : patch.length) + 1, order)) {
    reshaped(leaf)
    return
  }
  // Room for this key and no more: a small commit's patch holds a short key or two,
  // small enough for V8 to keep on its heap, where a new typed array is a bump of a
  // pointer rather than a buffer of its own (and a later key grows it like any Packed).
  if (patch === null) patch = leaf.patch = new Packed(new Uint8Array(key.length), null, 0, 0, owner)
  else if (patch.owner !== owner) patch = leaf.patch = patch.copy(owner, new Uint8Array(patch.used + key.length))
  patch.insert(~i, key)
}
