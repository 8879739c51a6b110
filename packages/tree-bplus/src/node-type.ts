// How B+ nodes become records and back: the NodeType the shared commit walk uses.
//
// Records are written in the packed form (every key's bytes in one byte string, and
// their lengths; the same for inline values):
//   leaf   [2, keyBytes, keyLengths, valueBytes, valueLengths, large]
//   branch [3, keyBytes, keyLengths, children, counts]
// A lengths field is one integer (> 0) when every string has that length, else an
// array with each one's length: lengths rather than offsets, because a short key's or
// value's length fits one MessagePack byte. `large` lists [index, address, index,
// address, ...] for the values kept in records of their own (their length is 0).
// Files written before the packed form hold the array form, which is still read:
//   leaf [0, keys, values] (a value is its bytes or an address); branch [1, keys, children, counts].
// Everything read is validated, because a file is untrusted input.

import { checkChildAddress, compareKeys, type Key, type NodeRef, type NodeStore, type NodeType } from '@dbdb/logical'
import { Branch, LargeValue, Leaf, LEAF, type Node, Packed, PackedValues, type Slot } from './node.js'

const ARRAY_LEAF = 0
const ARRAY_BRANCH = 1
const PACKED_LEAF = 2
const PACKED_BRANCH = 3

export const bplusNodeType: NodeType<Node> = {
  storeChildren(node: Node, store: NodeStore<Node>): void {
    if (node.kind === LEAF) {
      const addresses = node.values.addresses
      if (addresses === null) return
      for (let i = 0; i < addresses.length; i++) {
        const a = addresses[i]
        if (a instanceof LargeValue) addresses[i] = store.storeValue(a.bytes)
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
    const keyBytes = node.keys.content()
    const keyLengths = lengthsOf(node.keys)
    if (node.kind === LEAF) {
      const { inline, addresses } = node.values
      const large: number[] = []
      if (addresses !== null) {
        for (let i = 0; i < addresses.length; i++) {
          const a = addresses[i]
          if (a instanceof LargeValue) throw new Error('bplus: a large value was not stored before its leaf')
          if (a !== undefined) large.push(i, a)
        }
      }
      return [PACKED_LEAF, keyBytes, keyLengths, inline.content(), lengthsOf(inline), large]
    }
    for (const c of node.children) if (typeof c !== 'number') throw new Error('bplus: a child was not stored before its parent')
    return [PACKED_BRANCH, keyBytes, keyLengths, node.children, node.counts]
  },

  // The packed form of what was just written: a commit's nodes are cached as if read,
  // sharing the buffers the transaction edited (see Leaf).
  stored(node: Node, raw: unknown, address: number): Node {
    const read = readNode(raw, address, false)
    read.spare = node.keys.spare + (node.kind === LEAF ? node.values.inline.spare : 0)
    return read
  },

  weigh(node: Node, bytes: number): number {
    // Calibrated like logical's weightOf: a node is its bytes plus a few small
    // objects, and the tables of ends, children and counts (8 bytes an entry each);
    // plus the spare room of buffers it shares with the transaction that wrote it.
    return bytes + node.spare + 24 * (node.kind === LEAF ? node.keys.length : node.children.length) + 512
  },

  fromRaw(raw: unknown, address: number): Node {
    return readNode(raw, address, true)
  },
}

/** `checkOrder`: false only for what toRaw just made, whose keys are known to be in order. */
function readNode(raw: unknown, address: number, checkOrder: boolean): Node {
  if (!Array.isArray(raw) || raw.length < 1) throw new Error('a node is not an array')
  switch (raw[0]) {
    case PACKED_LEAF:
      return packedLeaf(raw, address, checkOrder)
    case PACKED_BRANCH:
      return packedBranch(raw, address, checkOrder)
    case ARRAY_LEAF:
      return arrayLeaf(raw, address)
    case ARRAY_BRANCH:
      return arrayBranch(raw, address)
    default:
      throw new Error(`unknown node kind ${String(raw[0])}`)
  }
}

// ---- writing ----

/**
 * One width when every string has that many bytes (more than 0), else each one's
 * length: the same for every editing history that leads to the same strings.
 */
function lengthsOf(packed: Packed): number | number[] {
  if (packed.ends === null && packed.width > 0) return packed.width
  const lengths = new Array<number>(packed.length)
  let same = true
  for (let i = 0; i < lengths.length; i++) {
    lengths[i] = packed.end(i) - packed.start(i)
    same &&= lengths[i] === lengths[0]
  }
  return same && lengths.length > 0 && lengths[0]! > 0 ? lengths[0]! : lengths
}

// ---- reading (untrusted) ----

function packedLeaf(raw: unknown[], address: number, checkOrder: boolean): Leaf {
  if (raw.length !== 6) throw new Error(`a leaf has ${raw.length} fields, not 6`)
  const keys = readKeys(raw[1], raw[2], checkOrder)
  if (keys.length === 0) throw new Error('a leaf has no keys')
  const inline = unpack(raw[3], raw[4], 'value')
  if (inline.length !== keys.length) throw new Error('a leaf needs one value per key')
  const large: unknown = raw[5]
  if (!Array.isArray(large) || large.length % 2 !== 0) throw new Error('a leaf’s large values are not index/address pairs')
  let addresses: Array<number | LargeValue | undefined> | null = null
  let previous = -1
  for (let j = 0; j < large.length; j += 2) {
    const i: unknown = large[j]
    if (!Number.isInteger(i) || (i as number) <= previous || (i as number) >= keys.length) throw new Error(`large value index ${String(i)} is out of order or range`)
    previous = i as number
    if (inline.end(previous) !== inline.start(previous)) throw new Error(`value ${previous} is both inline and in a record of its own`)
    addresses ??= new Array<number | LargeValue | undefined>(keys.length).fill(undefined)
    addresses[previous] = checkChildAddress(large[j + 1], address)
  }
  return new Leaf(keys, new PackedValues(inline, addresses), null)
}

function packedBranch(raw: unknown[], address: number, checkOrder: boolean): Branch {
  if (raw.length !== 5) throw new Error(`a branch has ${raw.length} fields, not 5`)
  return branch(readKeys(raw[1], raw[2], checkOrder), raw[3], raw[4], address)
}

function arrayLeaf(raw: unknown[], address: number): Leaf {
  if (raw.length !== 3) throw new Error(`a leaf has ${raw.length} fields, not 3`)
  const keys = readKeyArray(raw[1])
  const values: unknown = raw[2]
  if (keys.length === 0) throw new Error('a leaf has no keys')
  if (!Array.isArray(values) || values.length !== keys.length) throw new Error('a leaf needs one value per key')
  for (const v of values) {
    if (!(v instanceof Uint8Array)) checkChildAddress(v, address)
  }
  return new Leaf(Packed.of(keys), PackedValues.of(values as Slot[]), null)
}

function arrayBranch(raw: unknown[], address: number): Branch {
  if (raw.length !== 4) throw new Error(`a branch has ${raw.length} fields, not 4`)
  return branch(Packed.of(readKeyArray(raw[1])), raw[2], raw[3], address)
}

function branch(keys: Packed, children: unknown, counts: unknown, address: number): Branch {
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

/**
 * Validates packed byte strings: `lengths` is one width or each string's length (a
 * fresh array from the codec, turned into their ends in place). The bytes become a
 * plain Uint8Array view: both codecs decode bytes as Buffer, whose slice() shares
 * memory and whose toJSON the json codec would write as {type: 'Buffer', data}.
 */
function unpack(bytes: unknown, lengths: unknown, what: string): Packed {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${what} bytes are not bytes`)
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (typeof lengths === 'number') {
    if (!Number.isSafeInteger(lengths) || lengths <= 0 || bytes.length % lengths !== 0) {
      throw new Error(`${what} width ${lengths} does not divide the ${bytes.length} bytes given`)
    }
    return new Packed(plain, null, lengths, bytes.length / lengths)
  }
  if (!Array.isArray(lengths)) throw new Error(`${what} lengths are neither a width nor an array`)
  let end = 0
  for (let i = 0; i < lengths.length; i++) {
    const n: unknown = lengths[i]
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw new Error(`${what} length ${String(n)} is not a length`)
    end += n as number
    lengths[i] = end
  }
  if (end !== bytes.length) throw new Error(`${what} lengths add up to ${end}, not the ${bytes.length} bytes given`)
  return new Packed(plain, lengths as number[], 0, lengths.length)
}

/** Packed keys, which must be in strictly ascending order. */
function readKeys(bytes: unknown, lengths: unknown, checkOrder: boolean): Packed {
  const keys = unpack(bytes, lengths, 'key')
  if (!checkOrder) return keys
  const b = keys.bytes
  for (let i = 1; i < keys.length; i++) {
    const s0 = keys.start(i - 1)
    const s1 = keys.start(i)
    const n0 = s1 - s0
    const n1 = keys.end(i) - s1
    const n = n0 < n1 ? n0 : n1
    let c = 0
    for (let j = 0; j < n && c === 0; j++) c = b[s0 + j]! - b[s1 + j]!
    if (c === 0) c = n0 - n1
    if (c >= 0) throw new Error(`keys ${i - 1} and ${i} are not in ascending order`)
  }
  return keys
}

/** Array-form keys must be bytes in strictly ascending order. */
function readKeyArray(raw: unknown): Key[] {
  if (!Array.isArray(raw)) throw new Error('node keys are not an array')
  for (let i = 0; i < raw.length; i++) {
    const k: unknown = raw[i]
    if (!(k instanceof Uint8Array)) throw new Error(`key ${i} is not bytes`)
    if (i > 0 && compareKeys(raw[i - 1] as Key, k) >= 0) throw new Error(`keys ${i - 1} and ${i} are not in ascending order`)
  }
  return raw as Key[]
}
