// The records B+ nodes are written as: their kinds and fields.
//
// Records are written in the packed form (every key's bytes in one byte string, and
// their lengths; the same for inline values):
//   leaf   [2, keyBytes, keyLengths, valueBytes, valueLengths, large]
//   branch [3, keyBytes, keyLengths, children, counts]
//   patch  [4, base, keyBytes, keyLengths, valueBytes, valueLengths, large, gone]
//   branch patch [5, base, indexes, children, counts]
// A lengths field is one integer (> 0) when every string has that length, else an
// array with each one's length: lengths rather than offsets, because a short key's or
// value's length fits one MessagePack byte. `large` lists [index, address, index,
// address, ...] for the values kept in records of their own (their length is 0).
//
// A patch is a leaf written as the changes since its base, an earlier whole leaf
// record (kind 2): the keys set since, with their values, and the indices
// among them (`gone`, ascending) of the keys deleted since, whose values are empty.
// The leaf is the base's entries with those keys replaced, added or removed. A small
// commit changes a key or two of a leaf of ~64, so its patch is ~1/40 of the leaf's
// bytes; a leaf is written whole again once its patch would hold more than one key
// in PATCH_SHARE of its own (see patch-policy.ts), so a patch is always against a whole leaf
// and is at most an eighth of one.
// A branch patch is a branch written as the children changed since its base, an
// earlier whole branch record (kind 3) with the same keys: for each index, the
// child's address and subtree count now. A small commit changes one child of each
// branch on its path, so it writes ~10 bytes instead of a 128-child branch's ~1.2 KB.
// A branch is written whole when its keys change (a split, borrow or merge) or once
// its patch would hold more than one child in PATCH_SHARE of its own.
// These four kinds are all that is read; any other is refused as corrupt.
// Everything read is validated, because a file is untrusted input.

export const PACKED_LEAF = 2
export const PACKED_BRANCH = 3
export const PATCH_LEAF = 4
export const PATCH_BRANCH = 5
