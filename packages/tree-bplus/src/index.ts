// @dbdb/tree-bplus: an immutable copy-on-write B+ tree behind DBDB's LogicalTree contract.
export { type BPlusTreeOptions, bplusTree, createBPlusTree, DEFAULT_INLINE_VALUE_MAX, DEFAULT_ORDER, MIN_ORDER } from './factory.js'
