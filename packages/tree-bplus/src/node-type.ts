// How B+ nodes become records and back: the NodeType the shared commit walk uses.
// The records are described in node-format.ts; reading them is in node-read.ts.

import type { NodeStore, NodeType } from '@dbdb/logical'
import { BRANCH, Branch, LEAF, Leaf, type Node } from './node.js'
import { PACKED_BRANCH, PACKED_LEAF, PATCH_BRANCH, PATCH_LEAF } from './node-format.js'
import { NodeReader } from './node-read.js'
import { NO_OWNER } from './owner.js'
import { Packed } from './packed.js'
import { LargeValue, PackedValues } from './packed-values.js'
import { isBranchPatch, isPatch } from './patch-policy.js'

/** The NodeType of one NodeStore: each store has its own, for its reader (see NodeReader). */
export class BPlusNodeType implements NodeType<Node> {
  readonly #reader = new NodeReader()

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
  }

  toRaw(node: Node): unknown {
    if (node.kind === LEAF) return isPatch(node) ? patchOf(node) : wholeOf(node)
    for (const c of node.children) if (typeof c !== 'number') throw new Error('bplus: a child was not stored before its parent')
    return isBranchPatch(node) ? branchPatchOf(node) : [PACKED_BRANCH, node.keys.content(), node.keys.lengths(), node.children, node.counts]
  }

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
  }

  weigh(node: Node, bytes: number): number {
    // Calibrated like logical's weightOf: a node is its bytes plus a few small
    // objects, and the tables of ends, children and counts (8 bytes an entry each);
    // plus the spare room of buffers it shares with the transaction that wrote it.
    // A leaf read from a patch holds its whole content, not the patch's bytes.
    // So does a branch (~5 bytes a child and count, besides its keys).
    if (node.kind === LEAF && node.patch !== null) bytes = node.keys.used + node.values.inline.used + node.patch.used
    else if (node.kind === BRANCH && node.changed !== null) bytes = node.keys.used + 5 * node.children.length
    return bytes + node.spare + 24 * (node.kind === LEAF ? node.keys.length : node.children.length) + 512
  }

  fromRaw(raw: unknown, address: number, store: NodeStore<Node>): Node {
    return this.#reader.read(raw, address, store)
  }
}

/** A Packed over the same bytes that no session may change (`p` itself when none may). */
function readForm(p: Packed): Packed {
  return p.owner === NO_OWNER ? p : new Packed(p.bytes, p.ends, p.width, p.length)
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
