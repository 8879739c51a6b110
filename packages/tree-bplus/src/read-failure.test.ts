// A read that fails in the middle of an insert or delete (EIO, a corrupt record)
// throws and leaves the tree exactly as it was: every node an edit needs, a delete's
// sibling included, is read on the way down, before anything changes.
import { deepStrictEqual, equal, ok, throws } from 'node:assert/strict'
import { msgpackCodec } from '@dbdb/codec'
import { NodeCache } from '@dbdb/logical'
import { prng, randomInt, testSeed } from '@dbdb/logical/testing'
import { DbdbError } from '@dbdb/storage'
import { describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { asHex, enc, Harness, hex, sortedModel, unhex } from './harness.fixture.js'

describe('bplus edits when a read fails', () => {
  it('throw and change nothing, then go on (seeded inserts and deletes through a cold cache)', () => {
    const seed = testSeed('bplus read failures')
    const rand = prng(seed)
    const h = new Harness(strictBPlusTree({ order: 4, branchOrder: 4 }))
    const model = new Map<string, Uint8Array>()
    const load = h.open()
    for (let i = 0; i < 400; i++) {
      const k = hex(enc(`k${String(i).padStart(3, '0')}`))
      load.set(unhex(k), enc(`v${i}`))
      model.set(k, enc(`v${i}`))
    }
    let root = h.commit(load)
    // Reads of the addresses in `bad` fail while `failing` is on; every address read is noted.
    const bad = new Set<number>()
    let failing = false
    const seen = new Set<number>()
    const read = h.storage.read.bind(h.storage)
    h.storage.read = (address: number) => {
      if (failing && bad.has(address)) throw new DbdbError('DBDB_IO', `read of ${address} failed (injected)`)
      seen.add(address)
      return read(address)
    }
    let failed = 0
    for (let t = 0; t < 80; t++) {
      const tree = h.open(root, new NodeCache(0))
      // A few of the records the tree reaches, chosen afresh each transaction, fail when read.
      seen.clear()
      tree.check()
      const records = [...seen]
      bad.clear()
      for (let n = 0; n < records.length / 10; n++) bad.add(records[randomInt(rand, records.length)]!)
      for (let o = 0; o < 40; o++) {
        const k = hex(enc(`k${String(randomInt(rand, 500)).padStart(3, '0')}`))
        const del = rand() < 0.6
        const v = enc(`t${t}.${o}`)
        failing = true
        try {
          if (del) tree.delete(unhex(k))
          else tree.set(unhex(k), v)
        } catch (err) {
          ok(err instanceof DbdbError && err.code === 'DBDB_IO', `seed ${seed}: ${String(err)}`)
          failed++
          failing = false
          // Exactly as before the call: the key, the counts, the fill rules. (Not through
          // entries(), which would end the edit session, so that the next edits change
          // the same nodes in place, as most edits of a transaction do.)
          const where = `seed ${seed}, transaction ${t}, op ${o}`
          deepStrictEqual(tree.get(unhex(k)), model.get(k), where)
          equal(tree.size, model.size, where)
          tree.check()
          continue
        }
        failing = false
        if (del) model.delete(k)
        else model.set(k, v)
      }
      failing = false
      root = h.commit(tree)
      const cold = h.open(root, new NodeCache(0))
      deepStrictEqual(asHex(cold.entries()), asHex(sortedModel(model)), `seed ${seed}, after commit ${t}`)
      cold.check()
    }
    ok(failed > 50, `seed ${seed}: only ${failed} edits met a failing read`)
  })

  it('a delete whose sibling cannot be read throws before it removes anything', () => {
    const h = new Harness(strictBPlusTree({ order: 4, branchOrder: 4 }))
    const t = h.open()
    for (let i = 0; i < 8; i++) t.set(enc(`k${i}`), enc('v'))
    const root = h.commit(t)
    const tree = h.open(root, new NodeCache(0))
    tree.delete(enc('k0'))
    tree.delete(enc('k1')) // the first leaf is at its minimum now
    // Every read fails from here on: the next delete from that leaf needs its sibling.
    h.storage.read = () => {
      throw new DbdbError('DBDB_IO', 'injected')
    }
    throws(() => tree.delete(enc('k2')), /injected/)
    delete (h.storage as { read?: unknown }).read
    ok(tree.has(enc('k2')))
    equal(tree.size, 6)
    tree.check()
  })

  it("an OS error (EIO) reading any record, a patch's base included, is DBDB_IO, never DBDB_CORRUPT", () => {
    const h = new Harness(strictBPlusTree({ order: 8, branchOrder: 8 }))
    let tree = h.open()
    for (let i = 0; i < 200; i++) tree.set(enc(`k${String(i).padStart(3, '0')}`), enc(`v${i}`))
    let root = h.commit(tree)
    // One-key commits: their leaves and branches are written as patches of the nodes before.
    for (let i = 0; i < 20; i++) {
      tree = h.open(root)
      tree.set(enc(`k${String(i * 7).padStart(3, '0')}`), enc(`w${i}`))
      root = h.commit(tree)
    }
    const read = h.storage.read.bind(h.storage)
    const seen: number[] = []
    h.storage.read = (address: number) => {
      seen.push(address)
      return read(address)
    }
    h.open(root).check()
    // Patches (kinds 4 and 5, see node-format.ts) are among the records, so their bases are read inside their decoding.
    const patches = [...new Set(seen)].filter((a) => [4, 5].includes((msgpackCodec.decode(read(a)) as unknown[])[0] as number))
    ok(patches.length > 5, `${patches.length} patches`)
    for (const bad of new Set(seen)) {
      h.storage.read = (address: number) => {
        // The storage of a third party (or an old one) throwing the OS error as it is.
        if (address === bad)
          throw Object.assign(new Error(`EIO: i/o error, read (address ${address})`), { code: 'EIO', errno: -5, syscall: 'read' })
        return read(address)
      }
      try {
        throws(
          () => h.open(root).check(),
          (err: unknown) => err instanceof DbdbError && err.code === 'DBDB_IO' && (err.cause as { code?: string }).code === 'EIO',
          `a failing read of ${bad}`,
        )
      } finally {
        h.storage.read = read
      }
    }
  })
})
