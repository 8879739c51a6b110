// The invariant check behind BinaryTree.check(): strict key order, AVL balance, stored
// sizes and heights, every value readable. Iterative, so a deep (broken) tree cannot overflow the stack.

import { compareKeys, corrupt, type Key, type NodeStore } from '@dbdb/logical'
import { type BinaryNode, type Child, loadChild, loadValue } from './binary-node.js'

interface Frame {
  readonly node: BinaryNode
  /** Where the node is stored; undefined while it is dirty. */
  readonly address: number | undefined
  /** Every key in the subtree lies strictly between these. */
  readonly lower: Key | undefined
  readonly upper: Key | undefined
  /** 0: left subtree not yet checked, 1: right not yet checked, 2: both done. */
  stage: 0 | 1 | 2
  leftHeight: number
  leftSize: number
}

function hex(key: Key): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
}

function broken(address: number | undefined, why: string): Error {
  // A stored node that breaks an invariant is a damaged file; a dirty one is a bug here.
  return address === undefined ? new Error(`binary tree invariant broken: ${why}`) : corrupt(address, why)
}

export function checkBinaryTree(store: NodeStore<BinaryNode>, root: Child): void {
  if (root === undefined) return
  const stack: Frame[] = []
  // The height and size of the subtree checked last, handed up to its parent's frame.
  let done = { height: 0, size: 0 }

  const enter = (ref: NonNullable<Child>, parent: BinaryNode | undefined, lower: Key | undefined, upper: Key | undefined): void => {
    const node = loadChild(store, ref, parent)
    const address = typeof ref === 'number' ? ref : undefined
    if (lower !== undefined && compareKeys(node.key, lower) <= 0) throw broken(address, `key ${hex(node.key)} is not above ${hex(lower)}`)
    if (upper !== undefined && compareKeys(node.key, upper) >= 0) throw broken(address, `key ${hex(node.key)} is not below ${hex(upper)}`)
    loadValue(store, node.value)
    stack.push({ node, address, lower, upper, stage: 0, leftHeight: 0, leftSize: 0 })
  }

  enter(root, undefined, undefined, undefined)
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!
    const { node } = frame
    if (frame.stage === 0) {
      frame.stage = 1
      if (node.left !== undefined) {
        enter(node.left, node, frame.lower, node.key)
        continue
      }
      done = { height: 0, size: 0 }
    }
    if (frame.stage === 1) {
      frame.leftHeight = done.height
      frame.leftSize = done.size
      frame.stage = 2
      if (node.right !== undefined) {
        enter(node.right, node, node.key, frame.upper)
        continue
      }
      done = { height: 0, size: 0 }
    }
    const { leftHeight, leftSize } = frame
    const where = `node ${hex(node.key)}`
    if (Math.abs(leftHeight - done.height) > 1) {
      throw broken(frame.address, `${where} is out of balance: subtrees of height ${leftHeight} and ${done.height}`)
    }
    const height = 1 + Math.max(leftHeight, done.height)
    const size = 1 + leftSize + done.size
    if (node.height !== height) throw broken(frame.address, `${where} records height ${node.height}, has ${height}`)
    if (node.size !== size) throw broken(frame.address, `${where} records size ${node.size}, has ${size}`)
    done = { height, size }
    stack.pop()
  }
}
