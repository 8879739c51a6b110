// Reading B+ node records (see node-format.ts) back into nodes. A file is untrusted
// input: every field is validated, and a patch is applied to its base only once both are.

import { checkChildAddress, compareKeys, type Key, type NodeRef, type NodeStore } from '@dbdb/logical'
import { BRANCH, Branch, LEAF, Leaf, type Node } from './node.js'
import { PACKED_BRANCH, PACKED_LEAF, PATCH_BRANCH, PATCH_LEAF } from './node-format.js'
import { NO_OWNER } from './owner.js'
import { Packed } from './packed.js'
import { type LargeValue, PackedValues, type Slot } from './packed-values.js'

/**
 * Reads the records of one NodeStore. A patch reads its base through that store, whose
 * type reads with this same reader: so the reader can tell, while a patch reads its
 * base, that it is reading a base, and refuse a patch there (see refuseAsBase).
 */
export class NodeReader {
  /** True while a patch reads its base, and whether that base turned out a patch. */
  #readingBase = false
  #baseIsPatch = false

  /** A record read from the file (untrusted); `store` reads a patch's base. */
  read(raw: unknown, address: number, store: NodeStore<Node>): Node {
    if (!Array.isArray(raw) || raw.length < 1) throw new Error('a node is not an array')
    switch (raw[0]) {
      case PACKED_LEAF:
        return packedLeaf(raw, address)
      case PACKED_BRANCH:
        return packedBranch(raw, address)
      case PATCH_LEAF:
        return patchedLeaf(raw, address, store, this)
      case PATCH_BRANCH:
        return patchedBranch(raw, address, store, this)
      default:
        throw new Error(`unknown node kind ${String(raw[0])}`)
    }
  }

  /**
   * Called first by a patch's reader: a patch read as another patch's base is refused
   * before it reads its own base, so a crafted chain of patches fails at once instead
   * of recursing down the chain (and is reported by the patch that names it).
   */
  refuseAsBase(what: string): void {
    if (!this.#readingBase) return
    this.#baseIsPatch = true
    throw new Error(`${what} read as the base of another`)
  }

  /** A patch's base, or undefined when that is a patch too (see refuseAsBase). */
  loadBase(store: NodeStore<Node>, address: number): Node | undefined {
    this.#readingBase = true
    try {
      return store.load(address)
    } catch (err) {
      if (!this.#baseIsPatch) throw err
      return undefined
    } finally {
      this.#readingBase = false
      this.#baseIsPatch = false
    }
  }
}

// ---- reading (untrusted) ----

function packedLeaf(raw: unknown[], address: number): Leaf {
  if (raw.length !== 6) throw new Error(`a leaf has ${raw.length} fields, not 6`)
  const keys = readKeys(raw[1], raw[2])
  if (keys.length === 0) throw new Error('a leaf has no keys')
  const leaf = new Leaf(keys, readValues(raw[3], raw[4], raw[5], keys.length, address), NO_OWNER)
  leaf.base = address
  return leaf
}

/** A leaf's `count` values: inline bytes and lengths, and `large` [index, address, ...]. */
function readValues(bytes: unknown, lengths: unknown, large: unknown, count: number, address: number): PackedValues {
  const inline = unpack(bytes, lengths, 'value')
  if (inline.length !== count) throw new Error('a leaf needs one value per key')
  if (!Array.isArray(large) || large.length % 2 !== 0) throw new Error('a leaf’s large values are not index/address pairs')
  let addresses: Array<number | LargeValue | undefined> | null = null
  let previous = -1
  for (let j = 0; j < large.length; j += 2) {
    const i: unknown = large[j]
    if (!Number.isInteger(i) || (i as number) <= previous || (i as number) >= count)
      throw new Error(`large value index ${String(i)} is out of order or range`)
    previous = i as number
    if (inline.end(previous) !== inline.start(previous)) throw new Error(`value ${previous} is both inline and in a record of its own`)
    addresses ??= new Array<number | LargeValue | undefined>(count).fill(undefined)
    addresses[previous] = checkChildAddress(large[j + 1], address)
  }
  return new PackedValues(inline, addresses)
}

/**
 * A patch (see node-format.ts) applied to its base, which must be a whole leaf
 * written before it. A key deleted that the base lacks is allowed: it was set and
 * deleted again since the base.
 */
function patchedLeaf(raw: unknown[], address: number, store: NodeStore<Node>, reader: NodeReader): Leaf {
  reader.refuseAsBase('a leaf patch')
  if (raw.length !== 8) throw new Error(`a leaf patch has ${raw.length} fields, not 8`)
  const baseAddress = checkChildAddress(raw[1], address)
  const keys = readKeys(raw[2], raw[3])
  if (keys.length === 0) throw new Error('a leaf patch has no keys')
  const values = readValues(raw[4], raw[5], raw[6], keys.length, address)
  const gone: unknown = raw[7]
  if (!Array.isArray(gone)) throw new Error('a leaf patch’s deleted keys are not a list')
  const deleted = new Array<boolean>(keys.length).fill(false)
  let previous = -1
  for (const j of gone) {
    if (!Number.isInteger(j) || (j as number) <= previous || (j as number) >= keys.length)
      throw new Error(`deleted key index ${String(j)} is out of order or range`)
    previous = j as number
    const value = values.at(previous)
    if (!(value instanceof Uint8Array) || value.length !== 0) throw new Error(`deleted key ${previous} has a value`)
    deleted[previous] = true
  }
  const base = reader.loadBase(store, baseAddress)
  if (base?.kind !== LEAF || base.base !== baseAddress) throw new Error(`a leaf patch’s base ${baseAddress} is not a whole leaf`)
  // Merge the base's entries and the patch's, both in key order.
  const outKeys: Key[] = []
  const outValues: Slot[] = []
  let i = 0
  let j = 0
  while (i < base.keys.length || j < keys.length) {
    const c = i === base.keys.length ? 1 : j === keys.length ? -1 : compareKeys(base.keys.at(i), keys.at(j))
    if (c < 0) {
      outKeys.push(base.keys.at(i))
      outValues.push(base.values.at(i++))
      continue
    }
    if (c === 0) i++
    if (!deleted[j]) {
      outKeys.push(keys.at(j))
      outValues.push(values.at(j))
    }
    j++
  }
  if (outKeys.length === 0) throw new Error('a leaf patch deletes every key')
  const leaf = new Leaf(Packed.of(outKeys), PackedValues.of(outValues), NO_OWNER)
  leaf.base = baseAddress
  leaf.patch = keys
  return leaf
}

/**
 * A branch patch (see node-format.ts) applied to its base, which must be a
 * whole branch written before it.
 */
function patchedBranch(raw: unknown[], address: number, store: NodeStore<Node>, reader: NodeReader): Branch {
  reader.refuseAsBase('a branch patch')
  if (raw.length !== 5) throw new Error(`a branch patch has ${raw.length} fields, not 5`)
  const baseAddress = checkChildAddress(raw[1], address)
  const [indexes, children, counts] = [raw[2], raw[3], raw[4]]
  if (!Array.isArray(indexes) || indexes.length === 0) throw new Error('a branch patch has no children')
  if (!Array.isArray(children) || !Array.isArray(counts) || children.length !== indexes.length || counts.length !== indexes.length) {
    throw new Error('a branch patch needs one child and one count per index')
  }
  const base = reader.loadBase(store, baseAddress)
  if (base?.kind !== BRANCH || base.base !== baseAddress) throw new Error(`a branch patch’s base ${baseAddress} is not a whole branch`)
  const out = base.children.slice()
  const outCounts = base.counts.slice()
  let previous = -1
  for (let j = 0; j < indexes.length; j++) {
    const i: unknown = indexes[j]
    if (!Number.isInteger(i) || (i as number) <= previous || (i as number) >= out.length)
      throw new Error(`child index ${String(i)} is out of order or range`)
    previous = i as number
    out[previous] = checkChildAddress(children[j], address)
    const n: unknown = counts[j]
    if (!Number.isSafeInteger(n) || (n as number) < 1) throw new Error(`a subtree count ${String(n)} is not a positive integer`)
    outCounts[previous] = n as number
  }
  let total = 0
  for (let i = 0; i < outCounts.length; i++) total += outCounts[i]!
  if (!Number.isSafeInteger(total)) throw new Error('subtree counts overflow')
  const branch = new Branch(base.keys, out, outCounts, NO_OWNER)
  branch.base = baseAddress
  branch.changed = indexes as number[]
  return branch
}

function packedBranch(raw: unknown[], address: number): Branch {
  if (raw.length !== 5) throw new Error(`a branch has ${raw.length} fields, not 5`)
  return branch(readKeys(raw[1], raw[2]), raw[3], raw[4], address)
}

function branch(keys: Packed, children: unknown, counts: unknown, address: number): Branch {
  if (!Array.isArray(children) || children.length < 2 || children.length !== keys.length + 1) {
    throw new Error('a branch needs at least two children and one separator between each two')
  }
  if (!Array.isArray(counts) || counts.length !== children.length) throw new Error('a branch needs one count per child')
  // Indexed loops: a new process's first reads run this in V8's interpreter, where
  // for-of's iterator calls cost more than the checks.
  let total = 0
  for (let i = 0; i < counts.length; i++) {
    const n: unknown = counts[i]
    if (!Number.isSafeInteger(n) || (n as number) < 1) throw new Error(`a subtree count ${String(n)} is not a positive integer`)
    total += n as number
  }
  if (!Number.isSafeInteger(total)) throw new Error('subtree counts overflow')
  for (let i = 0; i < children.length; i++) checkChildAddress(children[i], address)
  const read = new Branch(keys, children as NodeRef<Node>[], counts as number[], NO_OWNER)
  read.base = address
  return read
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
function readKeys(bytes: unknown, lengths: unknown): Packed {
  const keys = unpack(bytes, lengths, 'key')
  const b = keys.bytes
  for (let i = 1; i < keys.length; i++) {
    const s0 = keys.start(i - 1)
    const s1 = keys.start(i)
    const n0 = s1 - s0
    const n1 = keys.end(i) - s1
    const n = Math.min(n0, n1)
    let c = 0
    for (let j = 0; j < n && c === 0; j++) c = b[s0 + j]! - b[s1 + j]!
    if (c === 0) c = n0 - n1
    if (c >= 0) throw new Error(`keys ${i - 1} and ${i} are not in ascending order`)
  }
  return keys
}
