// @dbdb/tree-binary: the original DBDB's binary search tree, immutable and AVL-balanced.

export { BinaryTree, binaryTree } from './binary-tree.js'
export { BinaryNode, binaryNodeType, type RawBinaryNode } from './binary-node.js'
