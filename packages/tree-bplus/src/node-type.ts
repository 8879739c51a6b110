// How B+ nodes become records and back: the NodeType the shared commit walk uses.
// Raw forms: leaf [0, keys, values] where a value is its bytes (inline) or the
// address of its own record; branch [1, keys, children, counts]. Everything read
// is validated, because a file is untrusted input.

import { checkChildAddress, compareKeys, type Key, type NodeRef, type NodeStore, type NodeType } from '@dbdb/logical'
import { Branch, BRANCH, LargeValue, Leaf, LEAF, type Node, type Slot } from './node.js'

export const bplusNodeType: NodeType<Node> = {
  storeChildren(node: Node, store: NodeStore<Node>): void {
    if (node.kind === LEAF) {
      const values = node.values
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!
        if (v instanceof LargeValue) values[i] = store.storeValue(v.bytes)
      }
    } else {
      const children = node.children
      for (let i = 0; i < children.length; i++) {
        const c = children[i]!
        if (typeof c !== 'number') children[i] = store.store(c)
      }
    }
  },

  toRaw(node: Node): unknown {
    if (node.kind === LEAF) {
      for (const v of node.values) if (v instanceof LargeValue) throw new Error('bplus: a large value was not stored before its leaf')
      return [LEAF, plainBytes(node.keys), plainBytes(node.values)]
    }
    for (const c of node.children) if (typeof c !== 'number') throw new Error('bplus: a child was not stored before its parent')
    return [BRANCH, plainBytes(node.keys), node.children, node.counts]
  },

  fromRaw(raw: unknown, address: number): Node {
    if (!Array.isArray(raw) || raw.length < 1) throw new Error('a node is not an array')
    if (raw[0] === LEAF) {
      if (raw.length !== 3) throw new Error(`a leaf has ${raw.length} fields, not 3`)
      const keys = readKeys(raw[1])
      const values: unknown = raw[2]
      if (keys.length === 0) throw new Error('a leaf has no keys')
      if (!Array.isArray(values) || values.length !== keys.length) throw new Error('a leaf needs one value per key')
      for (const v of values) {
        if (!(v instanceof Uint8Array)) checkChildAddress(v, address)
      }
      return new Leaf(keys, values as Slot[], null)
    }
    if (raw[0] === BRANCH) {
      if (raw.length !== 4) throw new Error(`a branch has ${raw.length} fields, not 4`)
      const keys = readKeys(raw[1])
      const children: unknown = raw[2]
      const counts: unknown = raw[3]
      if (!Array.isArray(children) || children.length < 2 || children.length !== keys.length + 1) {
        throw new Error('a branch needs at least two children and one separator between each two')
      }
      if (!Array.isArray(counts) || counts.length !== children.length) throw new Error('a branch needs one count per child')
      let total = 0
      for (const n of counts) {
        if (!Number.isSafeInteger(n) || (n as number) < 1) throw new Error(`a subtree count ${String(n)} is not a positive integer`)
        total += n as number
      }
      if (!Number.isSafeInteger(total)) throw new Error('subtree counts overflow')
      for (const c of children) checkChildAddress(c, address)
      return new Branch(keys, children as NodeRef<Node>[], counts as number[], null)
    }
    throw new Error(`unknown node kind ${String(raw[0])}`)
  },
}

/**
 * The array itself, or a copy in which every Uint8Array subclass (a Buffer, as both
 * codecs decode bytes) is a plain Uint8Array view of the same memory. The json
 * codec's replacer sees Buffer.prototype.toJSON's output, not the bytes, so a key
 * read from the file would otherwise be written back as {type: 'Buffer', data}.
 */
function plainBytes<T>(items: T[]): T[] {
  let out: T[] | undefined
  for (let i = 0; i < items.length; i++) {
    const v = items[i]
    if (v instanceof Uint8Array && Object.getPrototypeOf(v) !== Uint8Array.prototype) {
      out ??= items.slice()
      out[i] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength) as T
    }
  }
  return out ?? items
}

/** Keys must be bytes in strictly ascending order (msgpack and json both decode bytes as Buffer). */
function readKeys(raw: unknown): Key[] {
  if (!Array.isArray(raw)) throw new Error('node keys are not an array')
  for (let i = 0; i < raw.length; i++) {
    const k: unknown = raw[i]
    if (!(k instanceof Uint8Array)) throw new Error(`key ${i} is not bytes`)
    if (i > 0 && compareKeys(raw[i - 1] as Key, k) >= 0) throw new Error(`keys ${i - 1} and ${i} are not in ascending order`)
  }
  return raw as Key[]
}
