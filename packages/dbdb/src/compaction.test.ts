import { copyFileSync, existsSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createBPlusTree, open } from './index.js'
import { compactionPath } from './leftover.js'
import { code, tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const value = (i: number, round: number) => ({ i, round, text: `value ${i} of round ${round}`.padEnd(80, '.') })

for (const tree of ['bplus', 'binary'] as const) {
  describe(`compaction (${tree})`, () => {
    it('shrinks a heavily overwritten file to within 1.3x of a fresh one, keeping data and txids', () => {
      const file = tempFile(dir, 'worn.db')
      const db = open(file, { tree, durability: 'none' })
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 2000; i++) {
          db.set(`key${String((i * 7919) % 2000).padStart(5, '0')}`, value(i, round))
          if (i % 100 === 99) db.commit()
        }
      }
      db.commit()
      const txid = db.txid
      const expected = [...db.entries()]
      const info = db.compact()
      expect(info.txid).toBe(txid)
      expect(info.after).toBeLessThan(info.before)
      expect(db.txid).toBe(txid)
      expect([...db.entries()]).toEqual(expected)
      expect(db.history().map((c) => c.txid)).toEqual([txid])
      expect(code(() => db.at(txid - 1))).toBe('DBDB_NO_SUCH_COMMIT')
      expect(db.check().ok).toBe(true)

      const fresh = open(tempFile(dir, 'fresh.db'), { tree, durability: 'none' })
      fresh.transaction(() => {
        for (const [k, v] of expected) fresh.set(k, v)
      })
      const freshBytes = fresh.stats().fileBytes
      fresh.close()
      console.log(`[compaction ${tree}] ${info.before} -> ${info.after} bytes; a fresh file holds ${freshBytes}`)
      expect(info.after).toBeLessThanOrEqual(1.3 * freshBytes)

      db.set('after', 1)
      db.commit()
      expect(db.txid).toBe(txid + 1)
      db.close()
      const again = open(file)
      expect(again.get('after')).toBe(1)
      expect(again.size).toBe(expected.length + 1)
      again.close()
      expect(existsSync(compactionPath(file))).toBe(false)
    })

    it('keeps the last N commits when asked', () => {
      const db = open(tempFile(dir), { tree })
      for (let c = 1; c <= 6; c++) {
        db.set(`k${c}`, c)
        if (c % 2 === 0) db.delete(`k${c - 1}`)
        db.commit()
      }
      const views = [4, 5, 6].map((t) => [...db.at(t).entries()])
      db.compact({ keepHistory: 3 })
      expect(db.history().map((c) => [c.txid, c.size])).toEqual([
        [6, 3],
        [5, 3],
        [4, 2],
      ])
      expect(db.history({ limit: 2 }).map((c) => c.txid)).toEqual([6, 5])
      expect([4, 5, 6].map((t) => [...db.at(t).entries()])).toEqual(views)
      expect(code(() => db.at(3))).toBe('DBDB_NO_SUCH_COMMIT')
      db.close()
    })

    it('other handles notice the new file and go on reading and writing; snapshots keep their data', () => {
      const file = tempFile(dir)
      const a = open(file, { tree })
      const b = open(file, { lockTimeoutMs: 100 })
      const reader = open(file, { readOnly: true })
      for (let i = 0; i < 500; i++) a.set(`k${i}`, i)
      a.commit()
      for (let i = 0; i < 500; i += 2) a.set(`k${i}`, -i)
      a.commit()
      const snap = b.snapshot()
      const before = [...snap.entries()]
      expect(reader.get('k2')).toBe(-2)
      a.compact()
      // b (a writer) and reader see the compacted file, and b's write lands in it.
      expect(reader.get('k2')).toBe(-2)
      b.set('from-b', true)
      b.commit()
      expect(a.get('from-b')).toBe(true)
      expect(reader.get('from-b')).toBe(true)
      a.set('from-a', true)
      a.commit()
      expect(b.get('from-a')).toBe(true)
      // The snapshot still reads the old file, unlinked but open.
      expect([...snap.entries()]).toEqual(before)
      snap.close()
      for (const db of [a, b, reader]) db.close()
      const final = open(file)
      expect(final.size).toBe(502)
      expect(final.check().ok).toBe(true)
      final.close()
    })
  })
}

describe('compaction leftovers and refusals', () => {
  it('the next open removes what a killed compaction left, and nothing else', () => {
    const file = tempFile(dir)
    open(file).close()
    // Compaction creates its file whole (superblock synced, then linked into place):
    // a killed one leaves a database file with this one's meta.
    copyFileSync(file, compactionPath(file))
    open(file).close()
    expect(existsSync(compactionPath(file))).toBe(false)
    writeFileSync(compactionPath(file), 'not a database')
    open(file).close()
    expect(existsSync(compactionPath(file))).toBe(true)
  })

  it('refuses inside a transaction and on a read-only handle', () => {
    const file = tempFile(dir)
    const db = open(file)
    db.set('a', 1)
    expect(code(() => db.compact())).toBe('DBDB_TRANSACTION')
    db.commit()
    db.close()
    const ro = open(file, { readOnly: true })
    expect(code(() => ro.compact())).toBe('DBDB_READ_ONLY')
    ro.close()
  })

  it('compacts an empty database', () => {
    const db = open(tempFile(dir))
    expect(db.compact().txid).toBe(0)
    db.set('a', 1)
    db.commit()
    expect(db.txid).toBe(1)
    db.close()
  })
})

describe('backup and stats', () => {
  it('backs up the newest commit into a file that opens, and never overwrites', () => {
    const file = tempFile(dir)
    const db = open(file)
    for (let i = 0; i < 100; i++) db.set(`k${i}`, i)
    db.commit()
    db.set('uncommitted', 1)
    const dest = tempFile(dir, 'copy.db')
    const info = db.backup(dest)
    expect(info.txid).toBe(1)
    expect(code(() => db.backup(dest))).toBe('DBDB_EXISTS')
    db.rollback()
    const copy = open(dest, { readOnly: true })
    expect(copy.size).toBe(100)
    expect(copy.has('uncommitted')).toBe(false)
    expect(copy.check().ok).toBe(true)
    copy.close()
    db.close()
  })

  it('with replace, replaces an existing backup with the newest commit; without, refuses it', () => {
    const file = tempFile(dir)
    const db = open(file)
    db.set('a', 1)
    db.commit()
    const dest = tempFile(dir, 'nightly.db')
    db.backup(dest)
    db.set('a', 2)
    db.commit()
    expect(code(() => db.backup(dest))).toBe('DBDB_EXISTS')
    expect(code(() => db.backup(dest, { replace: false }))).toBe('DBDB_EXISTS')
    expect(db.backup(dest, { replace: true }).txid).toBe(2)
    expect(code(() => db.backup(file, { replace: true }))).toBe('DBDB_EXISTS')
    const copy = open(dest, { readOnly: true })
    expect(copy.get('a')).toBe(2)
    expect(copy.check().ok).toBe(true)
    copy.close()
    db.close()
  })

  it('reports keys, bytes, height and txid', () => {
    const db = open(tempFile(dir))
    for (let i = 0; i < 1000; i++) db.set(`k${i}`, 'x'.repeat(50))
    db.commit()
    const s = db.stats()
    expect(s).toMatchObject({ keys: 1000, txid: 1, tree: 'bplus', codec: 'msgpack' })
    expect(s.height).toBeGreaterThanOrEqual(2)
    expect(s.liveBytes).toBeGreaterThan(50_000)
    expect(s.liveBytes).toBeLessThan(s.fileBytes)
    db.close()
  })

  it('measures a sound file written with other B+ orders, and check() finds it sound', () => {
    const file = tempFile(dir)
    const narrow = open(file, { tree: createBPlusTree({ order: 8, branchOrder: 8 }) })
    for (let i = 0; i < 2000; i++) narrow.set(`k${i}`, i)
    narrow.commit()
    narrow.close()
    const db = open(file)
    expect(db.stats()).toMatchObject({ keys: 2000, txid: 1, tree: 'bplus' })
    expect(db.check()).toMatchObject({ ok: true, keys: 2000, problems: [] })
    expect(db.get('k1999')).toBe(1999)
    db.close()
  })
})
