// Which edit session may change a node or a Packed in place (see Editor).

/**
 * The edit session allowed to change a node (or a Packed) in place (see Editor), or
 * NO_OWNER for those that came from the file or were stored: never changed again.
 * A number, not an object token: a field that always holds a small integer keeps
 * one representation, so code V8 optimised during a bulk load (every node owned)
 * stays valid when the next commits edit nodes read from the cache (none owned).
 */
export type Owner = number
export const NO_OWNER = 0
