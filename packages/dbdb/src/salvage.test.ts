// A database whose commit 34 of 40 is damaged, with the commits after it intact:
// open() refuses to write (and never falls back to commit 33), a read-only open
// reads commit 40, check() names the damage, and salvage() copies every key it can
// read into a new file. None of it changes a byte of the damaged file.

import * as fs from 'node:fs'
import { COMMIT_RECORD, FileStorage } from '@dbdb/storage'
import { describe, expect, it } from 'vitest'
import { open } from './open.js'
import { between, salvage } from './salvage.js'
import { code, tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()

const key = (i: number): string => `a${String(i).padStart(4, '0')}`

/**
 * Commit 1 stores 2000 keys; commit 34 changes one key in the middle (a1000), and
 * every other commit one key at the end. The file is taken as a killed writer left
 * it (copied before close, so no checkpoint): bytes [start, end) are commit 34's.
 */
function damagedDatabase(): { file: string; start: number; end: number; expected: Map<string, unknown> } {
  const live = tempFile(dir, 'live.db')
  const db = open(live)
  const expected = new Map<string, unknown>()
  db.transaction(() => {
    for (let i = 0; i < 2000; i++) {
      db.set(key(i), { i, text: `value ${i}` })
      expected.set(key(i), { i, text: `value ${i}` })
    }
  })
  for (let txid = 2; txid <= 40; txid++) {
    const k = txid === 34 ? key(1000) : `b${String(txid).padStart(2, '0')}`
    db.set(k, { txid })
    db.commit()
    expected.set(k, { txid })
  }
  const file = tempFile(dir, 'damaged.db')
  fs.copyFileSync(live, file)
  db.close()
  const storage = FileStorage.open(file, { readOnly: true })
  const heads = [...storage.history()]
  storage.close()
  const start = heads.find((h) => h.txid === 33)!.address + COMMIT_RECORD
  const end = heads.find((h) => h.txid === 34)!.address + COMMIT_RECORD
  // Commit 34's first record is the leaf holding a1000 (children are written before parents).
  const fd = fs.openSync(file, 'r+')
  const b = Buffer.alloc(1)
  fs.readSync(fd, b, 0, 1, start + 20)
  b[0]! ^= 0x04
  fs.writeSync(fd, b, 0, 1, start + 20)
  fs.closeSync(fd)
  return { file, start, end, expected }
}

describe('a damaged commit with intact commits after it', () => {
  it('open() refuses with DBDB_CORRUPT; readOnly reads commit 40; check() reports it; the file is unchanged', () => {
    const { file, start, end } = damagedDatabase()
    const before = fs.readFileSync(file)
    let message = ''
    try {
      open(file)
    } catch (err) {
      expect((err as { code?: string }).code).toBe('DBDB_CORRUPT')
      message = (err as Error).message
    }
    expect(message).toContain(`transaction 34 (from address ${start}) is damaged: bytes ${start} to ${end}`)
    expect(message).toContain('transactions 35 to 40')

    const ro = open(file, { readOnly: true })
    expect(ro.txid).toBe(40)
    expect(ro.get('b40')).toEqual({ txid: 40 })
    expect(ro.get('a0001')).toEqual({ i: 1, text: 'value 1' })
    expect(code(() => ro.get(key(1000)))).toBe('DBDB_CORRUPT')
    const report = ro.check()
    expect(report.ok).toBe(false)
    expect(report.storage.damage).toEqual([{ start, end, txid: 34, commitsAfter: [35, 36, 37, 38, 39, 40], torn: false }])
    expect(report.problems.join('\n')).toContain('transaction 34')
    ro.close()
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('salvage() copies every readable key of commit 40 into a new file and lists the range it could not read', () => {
    const { file, expected } = damagedDatabase()
    const before = fs.readFileSync(file)
    const dest = tempFile(dir, 'salvaged.db')
    const report = salvage(file, dest)
    expect(report.txid).toBe(40)
    expect(report.damage).toMatchObject([{ txid: 34, torn: false }])
    expect(report.lost).toHaveLength(1)
    const [lost] = report.lost
    const text = (k: Uint8Array | undefined): string | undefined => (k === undefined ? undefined : new TextDecoder().decode(k))
    expect(text(lost!.after)! < key(1000)).toBe(true)
    expect(text(lost!.before)! > key(1000)).toBe(true)
    expect(lost!.addresses.length).toBeGreaterThan(0)

    const copy = open(dest)
    const got = new Map(copy.entries())
    copy.close()
    expect(got.size).toBe(report.keys)
    for (const [k, v] of got) expect(v).toEqual(expected.get(k))
    // Every key outside the lost range was copied.
    for (const k of expected.keys()) {
      if (k > text(lost!.after)! && k < text(lost!.before)!) continue
      expect(got.has(k)).toBe(true)
    }
    expect(got.has('b40')).toBe(true)
    expect(got.has(key(1000))).toBe(false)
    expect(fs.readFileSync(file).equals(before)).toBe(true)

    // Never over an existing file.
    expect(code(() => salvage(file, dest))).toBe('DBDB_EXISTS')
  })

  it('salvage() reads between two damaged leaves far apart', () => {
    const live = tempFile(dir, 'two.db')
    const db = open(live)
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) db.set(key(i), i === 500 || i === 1500 ? `MARKER-${i}` : `value ${i}`)
    })
    db.set('b', 1) // a commit after the damaged one
    db.commit()
    const bytes = fs.readFileSync(live)
    db.close()
    for (const marker of ['MARKER-500', 'MARKER-1500']) bytes[bytes.indexOf(marker) + 2]! ^= 0x01
    const file = tempFile(dir, 'two-damaged.db')
    fs.writeFileSync(file, bytes)
    const dest = tempFile(dir, 'two-salvaged.db')
    const report = salvage(file, dest)
    const text = (k: Uint8Array | undefined): string => new TextDecoder().decode(k)
    expect(report.lost).toHaveLength(2)
    const [first, second] = report.lost
    expect(text(first!.after) < key(500) && key(500) < text(first!.before)).toBe(true)
    expect(text(second!.after) < key(1500) && key(1500) < text(second!.before)).toBe(true)
    const copy = open(dest)
    // Everything but the two leaves: each holds at most 64 keys.
    expect(copy.size).toBeGreaterThanOrEqual(2001 - 2 * 64)
    expect(copy.get(key(1000))).toBe('value 1000')
    expect(copy.get('b')).toBe(1)
    copy.close()
  })

  it('salvage() of a sound database copies everything', () => {
    const file = tempFile(dir, 'sound.db')
    const db = open(file)
    for (let i = 0; i < 300; i++) db.set(key(i), i)
    db.commit()
    db.close()
    const report = salvage(file, tempFile(dir, 'copy.db'))
    expect(report).toMatchObject({ keys: 300, lost: [], damage: [] })
  })

  it('between() finds a key strictly between two, or says there is none', () => {
    const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)
    const cmp = (x: Uint8Array, y: Uint8Array): number => Buffer.compare(x, y)
    for (const [lo, hi] of [
      [b(1), b(2)],
      [b(1), b(1, 0, 0, 1)],
      [undefined, b(0, 1)],
      [b(0xff, 0xff), undefined],
      [b(5, 0xff), b(6)],
    ] as Array<[Uint8Array | undefined, Uint8Array | undefined]>) {
      const mid = between(lo, hi)!
      expect(mid).toBeDefined()
      if (lo) expect(cmp(mid, lo)).toBeGreaterThan(0)
      if (hi) expect(cmp(mid, hi)).toBeLessThan(0)
    }
    expect(between(b(1), b(1, 0))).toBeUndefined()
  })
})
