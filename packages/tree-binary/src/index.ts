// @dbdb/tree-binary: the original DBDB's binary search tree, immutable and AVL-balanced.

export { BinaryNode, binaryNodeType, type RawBinaryNode } from './binary-node.js'
export { BinaryTree, binaryTree } from './binary-tree.js'
