// Seeded property test of the whole stack against a Map model: random
// set/delete/commit/rollback/transaction/reopen on real files, for every tree
// and codec. Replay a failure with DBDB_SEED=<seed>.
import { prng, randomInt, testSeed } from '@dbdb/logical/testing'
import { describe, expect, it } from 'vitest'
import { type Database, open } from './index.js'
import { tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()

for (const tree of ['bplus', 'binary'] as const) {
  for (const codec of ['msgpack', 'json'] as const) {
    describe(`${tree} tree, ${codec} codec`, () => {
      it('matches a Map model through commits, rollbacks and reopens', () => {
        const seed = testSeed(`dbdb model ${tree}/${codec}`)
        const rand = prng(seed)
        const file = tempFile(dir)
        const options = { tree, codec, durability: 'none' as const }
        let db: Database = open(file, options)
        let committed = new Map<string, unknown>()
        let pending = new Map(committed)
        const key = () => `key${randomInt(rand, 300)}`
        for (let i = 0; i < 2000; i++) {
          const where = `seed ${seed}, step ${i}`
          const r = rand()
          if (r < 0.45) {
            const k = key()
            const v = rand() < 0.5 ? { i, tag: 'x'.repeat(randomInt(rand, 50)) } : `v${i}`
            db.set(k, v)
            pending.set(k, v)
          } else if (r < 0.65) {
            const k = key()
            expect(db.delete(k), where).toBe(pending.delete(k))
          } else if (r < 0.72) {
            db.commit()
            committed = new Map(pending)
          } else if (r < 0.76) {
            db.rollback()
            pending = new Map(committed)
          } else if (r < 0.8) {
            // Closing drops exactly the uncommitted writes.
            db.close()
            db = open(file, rand() < 0.5 ? options : {})
            pending = new Map(committed)
          } else if (r < 0.84) {
            const k = key()
            const fails = rand() < 0.5
            const before = new Map(pending)
            try {
              db.transaction(() => {
                db.set(k, i)
                if (fails) throw new Error('abort')
              })
              pending.set(k, i)
              committed = new Map(pending)
            } catch {
              expect(pending, where).toEqual(before)
              pending = new Map(committed)
            }
          } else {
            const k = key()
            expect(db.get(k), where).toEqual(pending.get(k))
          }
          expect(db.size, where).toBe(pending.size)
        }
        const sorted = [...pending.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
        expect([...db.keys()]).toEqual(sorted)
        db.commit()
        db.close()
        const final = open(file)
        expect([...final.entries()]).toEqual(sorted.map((k) => [k, pending.get(k)]))
        final.close()
      }, 60_000)
    })
  }
}
