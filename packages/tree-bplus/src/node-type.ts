// How B+ nodes become records and back: the NodeType the shared commit walk uses.
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
// in PATCH_SHARE of its own (see Editor), so a patch is always against a whole leaf
// and is at most an eighth of one.
// A branch patch is a branch written as the children changed since its base, an
// earlier whole branch record (kind 3) with the same keys: for each index, the
// child's address and subtree count now. A small commit changes one child of each
// branch on its path, so it writes ~10 bytes instead of a 128-child branch's ~1.2 KB.
// A branch is written whole when its keys change (a split, borrow or merge) or once
// its patch would hold more than one child in PATCH_SHARE of its own.
// These four kinds are all that is read; any other is refused as corrupt.
// Everything read is validated, because a file is untrusted input.

import { checkChildAddress, compareKeys, type Key, type NodeRef, type NodeStore, type NodeType } from '@dbdb/logical'
import { Branch, BRANCH, Leaf, LEAF, type Node } from './node.js'
import { NO_OWNER } from './owner.js'
import { Packed } from './packed.js'
import { LargeValue, PackedValues, type Slot } from './packed-values.js'
import { withinShare } from './patch-policy.js'

const PACKED_LEAF = 2
const PACKED_BRANCH = 3
const PATCH_LEAF = 4
const PATCH_BRANCH = 5

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
    if (node.kind === LEAF) return isPatch(node) ? patchOf(node) : wholeOf(node)
    for (const c of node.children) if (typeof c !== 'number') throw new Error('bplus: a child was not stored before its parent')
    return isBranchPatch(node) ? branchPatchOf(node) : [PACKED_BRANCH, node.keys.content(), node.keys.lengths(), node.children, node.counts]
  },

  // The packed form of what was just written: a commit's nodes are cached as if read,
  // sharing the buffers the transaction edited (see Leaf).
  stored(node: Node, _raw: unknown, address: number): Node {
    // What this commit just wrote needs neither decoding nor validating: the read
    // form is new objects over the same buffers and tables, which nothing changes
    // once the commit has frozen the session that edited them.
    const keys = readForm(node.keys)
    if (node.kind === BRANCH) {
      const read = new Branch(keys, node.children, node.counts, NO_OWNER)
      read.spare = node.keys.spare
      if (isBranchPatch(node)) {
        read.base = node.base
        read.changed = node.changed
      } else read.base = address
      return read
    }
    const read = new Leaf(keys, new PackedValues(readForm(node.values.inline), node.values.addresses), NO_OWNER)
    read.spare = node.keys.spare + node.values.inline.spare
    if (isPatch(node)) {
      read.base = node.base
      read.patch = readForm(node.patch!)
      read.spare += node.patch!.spare
    } else read.base = address
    return read
  },

  weigh(node: Node, bytes: number): number {
    // Calibrated like logical's weightOf: a node is its bytes plus a few small
    // objects, and the tables of ends, children and counts (8 bytes an entry each);
    // plus the spare room of buffers it shares with the transaction that wrote it.
    // A leaf read from a patch holds its whole content, not the patch's bytes.
    // So does a branch (~5 bytes a child and count, besides its keys).
    if (node.kind === LEAF && node.patch !== null) bytes = node.keys.used + node.values.inline.used + node.patch.used
    else if (node.kind === BRANCH && node.changed !== null) bytes = node.keys.used + 5 * node.children.length
    return bytes + node.spare + 24 * (node.kind === LEAF ? node.keys.length : node.children.length) + 512
  },

  fromRaw(raw: unknown, address: number, store: NodeStore<Node>): Node {
    return readNode(raw, address, store)
  },
}

/** A Packed over the same bytes that no session may change (`p` itself when none may). */
function readForm(p: Packed): Packed {
  return p.owner === NO_OWNER ? p : new Packed(p.bytes, p.ends, p.width, p.length)
}

/** Whether `leaf` is to be written as a patch of its base. */
function isPatch(leaf: Leaf): boolean {
  const patch = leaf.patch
  return leaf.base !== 0 && patch !== null && patch.length > 0 && withinShare(patch.length, leaf.keys.length)
}

/** Whether `branch` is to be written as a patch of its base. */
function isBranchPatch(branch: Branch): boolean {
  const changed = branch.changed
  return branch.base !== 0 && changed !== null && changed.length > 0 && withinShare(changed.length, branch.children.length)
}

/** `branch` as a patch of its base: each changed child's index, address and count. */
function branchPatchOf(branch: Branch): unknown[] {
  const changed = branch.changed!
  const children = new Array<number>(changed.length)
  const counts = new Array<number>(changed.length)
  for (let j = 0; j < changed.length; j++) {
    children[j] = branch.children[changed[j]!] as number
    counts[j] = branch.counts[changed[j]!]!
  }
  return [PATCH_BRANCH, branch.base, changed, children, counts]
}

/** `leaf` written whole. */
function wholeOf(leaf: Leaf): unknown[] {
  const { inline, addresses } = leaf.values
  const large: number[] = []
  if (addresses !== null) {
    for (let i = 0; i < addresses.length; i++) {
      const a = addresses[i]
      if (a instanceof LargeValue) throw new Error('bplus: a large value was not stored before its leaf')
      if (a !== undefined) large.push(i, a)
    }
  }
  return [PACKED_LEAF, leaf.keys.content(), leaf.keys.lengths(), inline.content(), inline.lengths(), large]
}

/** `leaf` as a patch of its base: each key of the patch with its value now, or gone. */
function patchOf(leaf: Leaf): unknown[] {
  const patch = leaf.patch!
  const n = patch.length
  const inline = new Array<Uint8Array>(n)
  const large: number[] = []
  const gone: number[] = []
  const addresses = leaf.values.addresses
  for (let j = 0; j < n; j++) {
    const i = leaf.keys.search(patch.at(j))
    const a = i >= 0 && addresses !== null ? addresses[i] : undefined
    if (a instanceof LargeValue) throw new Error('bplus: a large value was not stored before its leaf')
    if (a !== undefined) large.push(j, a)
    else if (i < 0) gone.push(j)
    inline[j] = i >= 0 && a === undefined ? leaf.values.inline.at(i) : EMPTY_BYTES
  }
  // One key (most patches): its value's view, packed as it is rather than copied.
  const only = inline[0]!
  const values = n === 1 ? new Packed(only, null, only.length, 1) : Packed.of(inline)
  return [PATCH_LEAF, leaf.base, patch.content(), patch.lengths(), values.content(), values.lengths(), large, gone]
}

const EMPTY_BYTES = new Uint8Array(0)

/** True while a patch reads its base, and whether that base turned out a patch (see patchedLeaf). */
let readingBase = false
let baseIsPatch = false

/** A record read from the file (untrusted); `store` reads a patch's base. */
function readNode(raw: unknown, address: number, store: NodeStore<Node>): Node {
  if (!Array.isArray(raw) || raw.length < 1) throw new Error('a node is not an array')
  switch (raw[0]) {
    case PACKED_LEAF:
      return packedLeaf(raw, address)
    case PACKED_BRANCH:
      return packedBranch(raw, address)
    case PATCH_LEAF:
      return patchedLeaf(raw, address, store)
    case PATCH_BRANCH:
      return patchedBranch(raw, address, store)
    default:
      throw new Error(`unknown node kind ${String(raw[0])}`)
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
    if (!Number.isInteger(i) || (i as number) <= previous || (i as number) >= count) throw new Error(`large value index ${String(i)} is out of order or range`)
    previous = i as number
    if (inline.end(previous) !== inline.start(previous)) throw new Error(`value ${previous} is both inline and in a record of its own`)
    addresses ??= new Array<number | LargeValue | undefined>(count).fill(undefined)
    addresses[previous] = checkChildAddress(large[j + 1], address)
  }
  return new PackedValues(inline, addresses)
}

/**
 * A patch (see the top of this file) applied to its base, which must be a whole leaf
 * written before it. A key deleted that the base lacks is allowed: it was set and
 * deleted again since the base.
 */
function patchedLeaf(raw: unknown[], address: number, store: NodeStore<Node>): Leaf {
  refuseAsBase('a leaf patch')
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
    if (!Number.isInteger(j) || (j as number) <= previous || (j as number) >= keys.length) throw new Error(`deleted key index ${String(j)} is out of order or range`)
    previous = j as number
    const value = values.at(previous)
    if (!(value instanceof Uint8Array) || value.length !== 0) throw new Error(`deleted key ${previous} has a value`)
    deleted[previous] = true
  }
  const base = loadBase(store, baseAddress)
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
 * A branch patch (see the top of this file) applied to its base, which must be a
 * whole branch written before it.
 */
function patchedBranch(raw: unknown[], address: number, store: NodeStore<Node>): Branch {
  refuseAsBase('a branch patch')
  if (raw.length !== 5) throw new Error(`a branch patch has ${raw.length} fields, not 5`)
  const baseAddress = checkChildAddress(raw[1], address)
  const [indexes, children, counts] = [raw[2], raw[3], raw[4]]
  if (!Array.isArray(indexes) || indexes.length === 0) throw new Error('a branch patch has no children')
  if (!Array.isArray(children) || !Array.isArray(counts) || children.length !== indexes.length || counts.length !== indexes.length) {
    throw new Error('a branch patch needs one child and one count per index')
  }
  const base = loadBase(store, baseAddress)
  if (base?.kind !== BRANCH || base.base !== baseAddress) throw new Error(`a branch patch’s base ${baseAddress} is not a whole branch`)
  const out = base.children.slice()
  const outCounts = base.counts.slice()
  let previous = -1
  for (let j = 0; j < indexes.length; j++) {
    const i: unknown = indexes[j]
    if (!Number.isInteger(i) || (i as number) <= previous || (i as number) >= out.length) throw new Error(`child index ${String(i)} is out of order or range`)
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

/**
 * Called first by a patch's reader: a patch read as another patch's base is refused
 * before it reads its own base, so a crafted chain of patches fails at once instead
 * of recursing down the chain (and is reported by the patch that names it).
 */
function refuseAsBase(what: string): void {
  if (!readingBase) return
  baseIsPatch = true
  throw new Error(`${what} read as the base of another`)
}

/** A patch's base, or undefined when that is a patch too (see refuseAsBase). */
function loadBase(store: NodeStore<Node>, address: number): Node | undefined {
  readingBase = true
  try {
    return store.load(address)
  } catch (err) {
    if (!baseIsPatch) throw err
    return undefined
  } finally {
    readingBase = false
    baseIsPatch = false
  }
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
    const n = n0 < n1 ? n0 : n1
    let c = 0
    for (let j = 0; j < n && c === 0; j++) c = b[s0 + j]! - b[s1 + j]!
    if (c === 0) c = n0 - n1
    if (c >= 0) throw new Error(`keys ${i - 1} and ${i} are not in ascending order`)
  }
  return keys
}
