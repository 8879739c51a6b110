// A file written with other B+ orders than the ones a handle opens it with (the
// defaults, as the dbdb command opens every file): the file does not record the
// orders, so check() finds a sound one sound whatever orders wrote it, one after
// another or compacted, and whatever orders open it.
import { describe, expect, it } from 'vitest'
import { createBPlusTree, open } from './index.js'
import { tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const key = (i: number) => `k${String(i).padStart(5, '0')}`

describe('check() of files written with other B+ orders', () => {
  it('finds a file written with order 16 and branchOrder 8 sound, opened with the defaults', () => {
    const file = tempFile(dir)
    const narrow = open(file, { tree: createBPlusTree({ order: 16, branchOrder: 8 }), durability: 'none' })
    // In key order scattered, in several commits: leaves of 8 to 16 keys, patches among them.
    for (let i = 0; i < 4000; i++) {
      narrow.set(key((i * 7919) % 4000), i)
      if (i % 500 === 499) narrow.commit()
    }
    narrow.commit()
    expect(narrow.check()).toMatchObject({ ok: true, keys: 4000 })
    narrow.close()
    const db = open(file)
    const report = db.check()
    expect(report.problems).toEqual([])
    expect(report).toMatchObject({ ok: true, keys: 4000 })
    db.close()
  })

  it('finds a history written with one order, then others, then compacted, sound at every step', () => {
    const file = tempFile(dir)
    const model = new Map<string, number>()
    const writers = [
      createBPlusTree({ order: 16, branchOrder: 8 }),
      undefined, // the defaults: 64 and 128
      createBPlusTree({ order: 4, branchOrder: 3 }),
      createBPlusTree({ order: 200 }),
    ]
    for (const [round, tree] of writers.entries()) {
      const db = open(file, { tree, durability: 'none' })
      for (let i = 0; i < 3000; i++) {
        const k = key((i * 7919 + round * 31) % 6000)
        if ((i + round) % 3 === 0) {
          db.delete(k)
          model.delete(k)
        } else {
          db.set(k, round)
          model.set(k, round)
        }
        if (i % 250 === 249) db.commit()
      }
      db.commit()
      db.close()
      // Judged by the defaults (as the dbdb command opens it) and by every writer so far.
      for (const reader of [undefined, ...writers.slice(0, round + 1)]) {
        const check = open(file, { tree: reader, readOnly: true })
        expect(check.check().problems, `round ${round}`).toEqual([])
        check.close()
      }
    }
    // Compaction with the defaults builds the tree anew with them.
    const db = open(file)
    db.compact()
    expect(db.check()).toMatchObject({ ok: true, keys: model.size })
    db.close()
    const narrow = open(file, { tree: writers[0], readOnly: true })
    expect(narrow.check()).toMatchObject({ ok: true, keys: model.size })
    expect([...narrow.entries()]).toEqual([...model].sort(([a], [b]) => (a < b ? -1 : 1)))
    narrow.close()
  })
})
