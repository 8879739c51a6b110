// The trees and codecs open() knows by name: the one place to register one. A name
// here is accepted by open()'s `tree`, `codec` and `valueCodec` options, is part of
// OpenOptions' types, is listed in their error messages, and lets a file that records
// it be opened without the option. Anything else is passed as an object.

import { type Codec, jsonCodec, msgpackCodec, rawCodec } from '@dbdb/codec'
import type { TreeFactory } from '@dbdb/logical'
import { binaryTree } from '@dbdb/tree-binary'
import { bplusTree } from '@dbdb/tree-bplus'

/** Trees by name; a name is its factory's id, which files record. */
export const TREES = {
  bplus: bplusTree,
  binary: binaryTree,
} as const satisfies Record<string, TreeFactory>

/**
 * Codecs by name; a name is its codec's id, which files record. `nodes`: whether it
 * can encode a tree's nodes (structured values) as well as user values; the raw codec
 * stores only bytes.
 */
export const CODECS = {
  msgpack: { codec: msgpackCodec, nodes: true },
  json: { codec: jsonCodec, nodes: true },
  raw: { codec: rawCodec as Codec, nodes: false },
} as const satisfies Record<string, { readonly codec: Codec; readonly nodes: boolean }>

/** The tree of a new file unless open() is told otherwise. */
export const DEFAULT_TREE = 'bplus' satisfies TreeName
/** The node codec (and value codec) of a new file unless open() is told otherwise. */
export const DEFAULT_CODEC = 'msgpack' satisfies CodecName

/** A tree open() knows by name. */
export type TreeName = keyof typeof TREES
/** A codec open() knows by name for values. */
export type ValueCodecName = keyof typeof CODECS
/** A codec open() knows by name for tree nodes. */
export type CodecName = { [N in ValueCodecName]: (typeof CODECS)[N]['nodes'] extends true ? N : never }[ValueCodecName]

/** The registered trees, by the id a file records. */
export const treesByName: ReadonlyMap<string, TreeFactory> = new Map(Object.entries(TREES))
/** Every registered codec, by the id a file records. */
export const codecsByName: ReadonlyMap<string, Codec> = new Map(Object.entries(CODECS).map(([name, entry]) => [name, entry.codec]))

export const treeNames = Object.keys(TREES) as readonly TreeName[]
export const valueCodecNames = Object.keys(CODECS) as readonly ValueCodecName[]
export const codecNames = valueCodecNames.filter((name) => CODECS[name].nodes) as readonly CodecName[]

/** "'a', 'b' or `other`": the names, quoted, and the alternative to them. */
export function choices(names: readonly string[], other: string): string {
  return `${names.map((name) => `'${name}'`).join(', ')} or ${other}`
}
