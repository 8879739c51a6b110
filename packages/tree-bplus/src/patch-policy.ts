// When a changed node is written as a patch of its base rather than whole.

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
