// The README's "Pick and mix" example, composed by hand from the layers (no open()),
// for every tree x node codec; and why a file must record its codec: a tree's nodes
// written with one codec cannot be read with another.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Codec, jsonCodec, msgpackCodec } from '@dbdb/codec'
import { isDbdbError, open } from '@dbdb/dbdb'
import { NodeCache, type TreeFactory } from '@dbdb/logical'
import { FileStorage } from '@dbdb/storage'
import { binaryTree } from '@dbdb/tree-binary'
import { bplusTree } from '@dbdb/tree-bplus'
import { afterEach, describe, expect, it } from 'vitest'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const dogs = Array.from({ length: 300 }, (_, i) => `dog:${String(i).padStart(3, '0')}`)

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})
const file = (name = 'by-hand.db') => {
  dir ??= mkdtempSync(join(tmpdir(), 'dbdb-pick-and-mix-'))
  return join(dir, name)
}

/** The README example, with the path, tree and codec as parameters and a few more keys; returns what it prints. */
function composeByHand(path: string, factory: TreeFactory, codec: Codec): string {
  const storage = FileStorage.open(path, { meta: { note: 'composed by hand' } })
  const context = { storage, codec, cache: new NodeCache(16 << 20) }
  const head = storage.lock() // writer lock; returns the newest commit
  const tree = factory.open(context, head.root) // a tree over that commit's root
  tree.set(Buffer.from('key'), Buffer.from('value'))
  for (const k of dogs) tree.set(enc(k), enc(k.toUpperCase()))
  storage.commit(tree.commit()) // nodes leaf-to-root, then the atomic commit
  storage.unlock()
  const printed = Buffer.from(tree.get(Buffer.from('key'))!).toString()
  storage.close()
  return printed
}

const codecs = [msgpackCodec, jsonCodec]

for (const factory of [bplusTree, binaryTree]) {
  for (const codec of codecs) {
    describe(`pick and mix: ${factory.id} tree, ${codec.id} nodes`, () => {
      it("runs the README's hand-composed example, then reopens by hand", () => {
        const path = file()
        expect(composeByHand(path, factory, codec)).toBe('value')

        // Reopen by hand: the committed root is in the superblock.
        const storage = FileStorage.open(path)
        try {
          expect(storage.meta).toEqual({ note: 'composed by hand' })
          const head = storage.head()
          expect(head.txid).toBe(1)
          const tree = factory.open({ storage, codec, cache: new NodeCache(16 << 20) }, head.root)
          tree.check()
          expect(tree.size).toBe(dogs.length + 1)
          expect(tree.dirty).toBe(false)
          expect(dec(tree.get(enc('key'))!)).toBe('value')
          for (const k of dogs) expect(dec(tree.get(enc(k))!)).toBe(k.toUpperCase())
          const range = { gte: enc('dog:100'), lt: enc('dog:110'), reverse: true }
          expect([...tree.entries(range)].map(([k]) => dec(k))).toEqual(dogs.slice(100, 110).reverse())
          expect(tree.count(range)).toBe(10)

          // A second transaction by hand: rebuild from the head lock() returns.
          const writer = factory.open({ storage, codec, cache: new NodeCache(16 << 20) }, storage.lock().root)
          expect(writer.delete(enc('key'))).toBe(true)
          storage.commit(writer.commit())
          storage.unlock()
          const after = factory.open({ storage, codec, cache: new NodeCache(16 << 20) }, storage.head().root)
          expect(after.size).toBe(dogs.length)
          expect(after.get(enc('key'))).toBeUndefined()
          // The first commit is still there, unchanged (append-only).
          expect(dec(tree.get(enc('key'))!)).toBe('value')
        } finally {
          storage.close()
        }
      })

      it('cannot read its nodes with the other codec (which is why files record their codec)', () => {
        const path = file()
        composeByHand(path, factory, codec)
        const other = codec === msgpackCodec ? jsonCodec : msgpackCodec
        const storage = FileStorage.open(path, { readOnly: true })
        try {
          let error: unknown
          try {
            // A fresh cache: a shared one would hand back nodes decoded with the right codec.
            const tree = factory.open({ storage, codec: other, cache: new NodeCache() }, storage.head().root)
            tree.get(enc('key'))
            tree.check()
          } catch (err) {
            error = err
          }
          expect(isDbdbError(error, 'DBDB_CORRUPT'), String(error)).toBe(true)
          // With the right codec the same file reads fine.
          expect(factory.open({ storage, codec, cache: new NodeCache() }, storage.head().root).size).toBe(dogs.length + 1)
        } finally {
          storage.close()
        }
      })
    })
  }
}

describe('pick and mix: a hand-made file and open()', () => {
  it("is not a database to open() with the README's meta, and is one with DBDB's meta", () => {
    const readmeStyle = file('readme.db')
    composeByHand(readmeStyle, bplusTree, jsonCodec)
    let error: unknown
    try {
      open(readmeStyle)
    } catch (err) {
      error = err
    }
    expect(isDbdbError(error, 'DBDB_NOT_A_DATABASE'), String(error)).toBe(true)

    // The meta open() writes: the format, the tree id and both codec ids. The values
    // were stored as bytes by hand, so they are 'raw'.
    const path = file('openable.db')
    const meta = { format: 'dbdb', tree: binaryTree.id, codec: msgpackCodec.id, values: 'raw' }
    FileStorage.open(path, { meta }).close() // meta is recorded only when the file is created
    composeByHand(path, binaryTree, msgpackCodec)
    const db = open(path)
    try {
      expect(db.composition).toMatchObject({ tree: 'binary', codec: 'msgpack', valueCodec: 'raw' })
      expect(dec(db.get('key') as Uint8Array)).toBe('value')
      expect(db.count({ gte: 'dog:', lt: 'dog;' })).toBe(dogs.length)
    } finally {
      db.close()
    }
  })
})
