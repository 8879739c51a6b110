// A writer process commits 40 times and is SIGKILLed; then one bit inside commit 34's
// bytes is flipped (bit rot, a bad sector, a buggy copy). With durability 'fsync' every
// commit was synced before the next began, so commits 35 to 40 were written after
// commit 34 was on disk: the damage is corruption, not a torn write. open() must
// refuse to write (never fall back to commit 33, whose next writer would cut 35..40
// off), a read-only open reads commit 40, check() names the damage, salvage() copies
// the readable keys, and the file's bytes never change. With durability 'none' no
// commit was synced, so the same damage may be a torn write: the file opens at 33.
// See workers/commit-and-die.mjs.

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { open, salvage } from '@dbdb/dbdb'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { codeOf, killAll, makeTempDir, removeDir, spawnWorker } from './harness.js'

let root: string
beforeAll(() => {
  root = makeTempDir('damage')
})
afterEach(killAll)
afterAll(() => removeDir(root))

/** Runs the worker to its self-inflicted SIGKILL, then flips a bit in the value commit 34 wrote. */
async function killedThenDamaged(name: string, durability: 'fsync' | 'none'): Promise<{ file: string; bytes: Buffer }> {
  const file = join(root, `${name}.db`)
  const worker = spawnWorker('commit-and-die.mjs', [file, '40', durability])
  const exit = await worker.exited
  expect(exit.signal, exit.stderr).toBe('SIGKILL')
  expect(worker.lines.at(-1)).toBe('acked 40')
  const bytes = readFileSync(file)
  const at = bytes.indexOf('MARKER-34')
  expect(at).toBeGreaterThan(8192)
  bytes[at + 2]! ^= 0x01
  writeFileSync(file, bytes)
  return { file, bytes }
}

describe('damage inside commit 34 of 40, after the writer was killed', () => {
  it("durability 'fsync': no writable open, read-only reads commit 40, check names 34 and 35..40, salvage copies; the file never changes", async () => {
    const { file, bytes } = await killedThenDamaged('fsync', 'fsync')

    let message = ''
    try {
      open(file)
    } catch (err) {
      expect((err as { code?: string }).code).toBe('DBDB_CORRUPT')
      message = (err as Error).message
    }
    expect(message).toMatch(/transaction 34 \(from address \d+\) is damaged: bytes \d+ to \d+/)
    expect(message).toContain('transactions 35 to 40')

    const ro = open(file, { readOnly: true })
    expect(ro.txid).toBe(40)
    expect(ro.get('z40')).toBe(40)
    expect(ro.get('k0000')).toBe('value 0')
    expect(codeOf(() => ro.get('k0250'))).toBe('DBDB_CORRUPT')
    const report = ro.check()
    expect(report.ok).toBe(false)
    expect(report.storage.damage).toMatchObject([{ txid: 34, commitsAfter: [35, 36, 37, 38, 39, 40], torn: false }])
    ro.close()

    const dest = join(root, 'salvaged.db')
    const salvaged = salvage(file, dest)
    expect(salvaged.txid).toBe(40)
    expect(salvaged.lost.length).toBeGreaterThan(0)
    const copy = open(dest)
    expect(copy.get('z40')).toBe(40)
    expect(copy.get('k0000')).toBe('value 0')
    expect(copy.has('k0250')).toBe(false)
    expect(copy.size).toBe(salvaged.keys)
    copy.close()

    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it("durability 'none': the damage may be a torn write, so the file opens at commit 33 and the next writer cuts 34..40 off", async () => {
    const { file } = await killedThenDamaged('none', 'none')
    const before = join(root, 'none-before.db')
    copyFileSync(file, before)
    const ro = open(before, { readOnly: true })
    expect(ro.txid).toBe(33)
    const report = ro.check()
    expect(report.storage.damage).toMatchObject([{ txid: 34, commitsAfter: [35, 36, 37, 38, 39, 40], torn: true }])
    expect(report.ok).toBe(true)
    ro.close()

    const db = open(file, { durability: 'none' })
    expect(db.txid).toBe(33)
    db.set('after', 1)
    expect(db.commit()?.txid).toBe(34)
    db.close()
    const again = open(file, { readOnly: true })
    expect(again.txid).toBe(34)
    expect(again.get('z33')).toBe(33)
    expect(again.has('z35')).toBe(false)
    again.close()
  })
})
