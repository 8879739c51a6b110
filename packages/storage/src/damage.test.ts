// Recovery tells a torn tail from damage. A writer with durability 'fsync' syncs each
// commit before it begins the next, so a damaged transaction that intact commits
// follow was on disk, whole, before they were written: no crash tore it. Such a file
// must never open at the commit before the damage, and nothing may cut the later
// commits off. Only commits whose writer did not sync what came before them
// (durability 'none') let the damage count as a torn tail.

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DbdbError, type DbdbErrorCode } from './errors.js'
import { type FileIO, nodeFileIO } from './file-io.js'
import { FileStorage, type FileStorageOptions } from './file-storage.js'
import { COMMIT_RECORD, COMMIT_UNSYNCED_BEFORE, DATA_START, decodeCommitPayload, RECORD_HEADER, SLOT_SIZE } from './format.js'
import type { Durability, Head } from './storage.js'
import { countingFileIO } from './testing/counting-io.js'

let dir: string
const opened: FileStorage[] = []

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-damage-'))
})

afterEach(() => {
  for (const s of opened.splice(0)) {
    try {
      s.close()
    } catch {
      // closed by the test, or failed as the test expected
    }
  }
  fs.rmSync(dir, { recursive: true, force: true })
})

function openStorage(file: string, options: FileStorageOptions = {}): FileStorage {
  const s = FileStorage.open(file, options)
  opened.push(s)
  return s
}

function expectCode(fn: () => unknown, code: DbdbErrorCode): DbdbError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(DbdbError)
    expect((err as DbdbError).code).toBe(code)
    return err as DbdbError
  }
  throw new Error(`expected ${code}, but nothing was thrown`)
}

interface Written {
  /** The file as a killed writer left it (its handle never closed, so no checkpoint). */
  file: string
  /** Each commit, by txid (index 0 unused). */
  commits: Array<{ head: Head; txStart: number; end: number }>
}

/**
 * A writer commits `count` times (each commit one data record, the root) and is
 * killed: the file is copied while the writer still has it open, so no close and no
 * checkpoint ran. `reopenAt`: the writer closes and reopens there (a checkpoint).
 */
function writeAndKill(count: number, durability: Durability, reopenAt?: number): Written {
  const live = path.join(dir, `live-${durability}.db`)
  let s = FileStorage.open(live, { durability })
  const commits: Written['commits'] = [undefined as never]
  for (let txid = 1; txid <= count; txid++) {
    if (txid === reopenAt) {
      s.close()
      s = FileStorage.open(live, { durability })
    }
    const txStart = s.lock().address === 0 ? DATA_START : commits[txid - 1]!.end
    const root = s.append(new TextEncoder().encode(`value of commit ${txid} `.repeat(8)))
    const head = s.commit(root)
    s.unlock()
    commits.push({ head, txStart, end: head.address + COMMIT_RECORD })
  }
  const file = path.join(dir, `killed-${durability}.db`)
  fs.copyFileSync(live, file)
  s.close()
  return { file, commits }
}

function flipBit(file: string, at: number): void {
  const fd = fs.openSync(file, 'r+')
  const b = Buffer.alloc(1)
  fs.readSync(fd, b, 0, 1, at)
  b[0]! ^= 0x10
  fs.writeSync(fd, b, 0, 1, at)
  fs.closeSync(fd)
}

function zeroFill(file: string, start: number, end: number): void {
  const fd = fs.openSync(file, 'r+')
  fs.writeSync(fd, Buffer.alloc(end - start), 0, end - start, start)
  fs.closeSync(fd)
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('damage that intact commits follow (durability fsync)', () => {
  it('a flipped bit in commit 34 of 40: no writable open, read-only reads the newest, verify names it, nothing is cut off', () => {
    const { file, commits } = writeAndKill(40, 'fsync')
    const c34 = commits[34]!
    flipBit(file, c34.txStart + RECORD_HEADER + 20) // inside commit 34's data record
    const before = fs.readFileSync(file)

    const err = expectCode(() => openStorage(file), 'DBDB_CORRUPT')
    expect(err.address).toBe(c34.txStart)
    expect(err.message).toContain(`transaction 34 (from address ${c34.txStart}) is damaged: bytes ${c34.txStart} to ${c34.end}`)
    expect(err.message).toContain('transactions 35 to 40')

    const ro = openStorage(file, { readOnly: true })
    expect(ro.head().txid).toBe(40)
    expect(new TextDecoder().decode(ro.read(commits[40]!.head.root))).toContain('value of commit 40 ')
    expect(new TextDecoder().decode(ro.read(commits[33]!.head.root))).toContain('value of commit 33 ')
    expect(expectCode(() => ro.read(c34.head.root), 'DBDB_CORRUPT').address).toBe(c34.head.root)

    const report = ro.verify()
    expect(report.damage).toEqual([{ start: c34.txStart, end: c34.end, txid: 34, commitsAfter: range(35, 40), torn: false }])
    expect(report.problems.join('\n')).toContain('transaction 34')
    expect(report.head.txid).toBe(40)
    ro.close()

    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('damage in the last transaction but one, with the last commit intact after it, is still damage', () => {
    const { file, commits } = writeAndKill(40, 'fsync')
    flipBit(file, commits[39]!.txStart + RECORD_HEADER + 20)
    const before = fs.readFileSync(file)
    const err = expectCode(() => openStorage(file), 'DBDB_CORRUPT')
    expect(err.message).toContain(`transaction 39 (from address ${commits[39]!.txStart}) is damaged`)
    expect(err.message).toContain('(transaction 40)')
    const ro = openStorage(file, { readOnly: true })
    expect(ro.head().txid).toBe(40)
    ro.close()
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('a writer whose handle knew the file before the damage refuses to cut it off at its lock', () => {
    const live = path.join(dir, 'shared.db')
    const writer = openStorage(live)
    for (let i = 1; i <= 33; i++) {
      writer.lock()
      writer.commit(writer.append(Uint8Array.of(i)))
      writer.unlock()
    }
    const stale = openStorage(live) // knows commit 33
    let txStart34 = 0
    for (let i = 34; i <= 40; i++) {
      const head = writer.lock()
      if (i === 34) txStart34 = head.address + COMMIT_RECORD
      writer.commit(writer.append(Uint8Array.of(i)))
      writer.unlock()
    }
    flipBit(live, txStart34 + RECORD_HEADER) // commit 34's only data byte
    const before = fs.readFileSync(live)
    const err = expectCode(() => stale.lock(), 'DBDB_CORRUPT')
    expect(err.message).toContain('transaction 34')
    expect(stale.locked).toBe(false)
    expect(fs.readFileSync(live).equals(before)).toBe(true)
  })

  it('a zero-filled hole where commit 34 was is damage, not the end', () => {
    const { file, commits } = writeAndKill(40, 'fsync')
    zeroFill(file, commits[34]!.txStart, commits[34]!.end)
    const before = fs.readFileSync(file)
    const err = expectCode(() => openStorage(file), 'DBDB_CORRUPT')
    expect(err.message).toContain(
      `transaction 34 (from address ${commits[34]!.txStart}) is damaged: bytes ${commits[34]!.txStart} to ${commits[34]!.end}`,
    )
    const ro = openStorage(file, { readOnly: true })
    expect(ro.head().txid).toBe(40)
    expect(ro.verify().damage).toMatchObject([{ txid: 34, commitsAfter: range(35, 40), torn: false }])
    ro.close()
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('the commit a checkpoint slot points at is damaged, and intact commits follow it', () => {
    const { file, commits } = writeAndKill(40, 'fsync', 21) // closed after 20: a slot points at 20
    const slots = fs.readFileSync(file).subarray(0, 2 * SLOT_SIZE)
    expect([slots.readUInt32LE(24), slots.readUInt32LE(SLOT_SIZE + 24)]).toContain(20)
    flipBit(file, commits[20]!.head.address + RECORD_HEADER + 10) // commit 20's commit record
    const before = fs.readFileSync(file)
    const err = expectCode(() => openStorage(file), 'DBDB_CORRUPT')
    expect(err.message).toContain('transaction 20')
    expect(err.message).toContain('transactions 21 to 40')
    const ro = openStorage(file, { readOnly: true })
    expect(ro.head().txid).toBe(40)
    const report = ro.verify()
    expect(report.damage).toMatchObject([{ txid: 20, commitsAfter: range(21, 40), torn: false }])
    expect(report.slots.some((slot) => !slot.ok && slot.txid === 20)).toBe(true)
    ro.close()
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('a damaged checkpoint slot itself, with intact commits after its commit, loses nothing', () => {
    const { file } = writeAndKill(40, 'fsync', 21)
    const bytes = fs.readFileSync(file)
    const newer = bytes.readUInt32LE(24) === 20 ? 0 : 1
    flipBit(file, newer * SLOT_SIZE + 30)
    const s = openStorage(file)
    expect(s.head().txid).toBe(40)
    expect(s.verify()).toMatchObject({ damage: [], problems: [] })
  })

  it('a torn last transaction still falls back to the one before it, and the next writer cuts it off', () => {
    const { file, commits } = writeAndKill(40, 'fsync')
    flipBit(file, commits[40]!.txStart + RECORD_HEADER + 5)
    const s = openStorage(file)
    expect(s.head().txid).toBe(39)
    expect(s.verify()).toMatchObject({ damage: [], problems: [] })
    s.lock()
    expect(fs.statSync(file).size).toBe(commits[39]!.end)
  })

  it('verify() finds every intact commit after the damage, across the search reads of a larger file', () => {
    const live = path.join(dir, 'large.db')
    const s = openStorage(live)
    const ends: number[] = []
    for (let txid = 1; txid <= 40; txid++) {
      s.lock()
      // ~100 KB a commit, in records of odd sizes, so commit records land anywhere in a 1 MiB read.
      for (let i = 0; i < 7; i++) s.append(Buffer.alloc(14_000 + txid * 13 + i, txid))
      const head = s.commit(s.append(Uint8Array.of(txid)))
      s.unlock()
      ends.push(head.address + COMMIT_RECORD)
    }
    flipBit(live, ends[3]! + RECORD_HEADER + 100) // commit 5's first record
    const report = s.verify()
    expect(report.damage).toEqual([{ start: ends[3], end: ends[4], txid: 5, commitsAfter: range(6, 40), torn: false }])
  })

  it('a commit after a head found past the checkpoint is written after one sync of what it found', () => {
    const { file } = writeAndKill(5, 'fsync')
    const { io, calls } = countingFileIO()
    const s = openStorage(file, { io })
    expect(s.head().txid).toBe(5)
    calls.syncs = 0
    s.lock()
    expect(calls.syncs).toBe(1) // the head it found may be a killed writer's, never synced
    s.commit(s.append(Uint8Array.of(1)))
    s.unlock()
    calls.syncs = 0
    s.lock()
    expect(calls.syncs).toBe(0) // its own commit, synced by that commit
    s.unlock()
  })
})

describe('damage followed by commits written without a sync (durability none)', () => {
  it('counts as a torn tail: opens at commit 33, and the next writer cuts it off', () => {
    const { file, commits } = writeAndKill(40, 'none')
    flipBit(file, commits[34]!.txStart + RECORD_HEADER + 20)
    const ro = openStorage(file, { readOnly: true })
    expect(ro.head().txid).toBe(33)
    const report = ro.verify()
    expect(report.damage).toMatchObject([{ txid: 34, commitsAfter: range(35, 40), torn: true }])
    expect(report.problems).toEqual([])
    ro.close()
    const s = openStorage(file, { durability: 'none' })
    expect(s.head().txid).toBe(33)
    s.lock()
    expect(fs.statSync(file).size).toBe(commits[33]!.end)
  })

  it("records the flag on 'none' commits, and an 'fsync' commit on top is written after a sync (damage before it is corruption)", () => {
    const { file, commits } = writeAndKill(30, 'none')
    const flags = (address: number): number => {
      const rec = fs.readFileSync(file).subarray(address, address + COMMIT_RECORD)
      return decodeCommitPayload(rec.subarray(RECORD_HEADER), address).flags
    }
    expect(flags(commits[1]!.head.address)).toBe(0) // the new file's header was synced
    expect(flags(commits[2]!.head.address)).toBe(COMMIT_UNSYNCED_BEFORE)
    expect(flags(commits[30]!.head.address)).toBe(COMMIT_UNSYNCED_BEFORE)
    const s = openStorage(file) // 'fsync'
    s.lock()
    const head = s.commit(s.append(Uint8Array.of(31)))
    expect(flags(head.address)).toBe(0)
    const killed = path.join(dir, 'killed-again.db') // no close: no checkpoint at 31
    fs.copyFileSync(file, killed)
    flipBit(killed, commits[20]!.txStart + RECORD_HEADER + 20)
    const err = expectCode(() => openStorage(killed), 'DBDB_CORRUPT')
    expect(err.message).toContain('transaction 20')
    expect(err.message).toContain('transactions 21 to 31')
  })
})

describe('a writer committing while an open looks', () => {
  it('a tail in flight that becomes whole, with commits after it, is not damage, however long the writer goes on', () => {
    const { file, commits } = writeAndKill(40, 'fsync')
    const full = fs.readFileSync(file)
    // The file as a reader finds it in the middle of commit 4's write, over the zeros a
    // writer reserves past its commits (so the file's size does not change)...
    const first = commits[4]!
    let written = first.txStart + Math.floor((first.end - first.txStart) / 2)
    const image = Buffer.alloc(full.length + 16 * 1024)
    full.copy(image, 0, 0, written)
    fs.writeFileSync(file, image)
    // ...and a writer that, between any two of the reader's reads, finishes the commit
    // it is writing and writes half of the next one: there is always a tail in flight.
    let next = 5
    const io: FileIO = Object.assign(Object.create(nodeFileIO) as FileIO, {
      readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
        const n = nodeFileIO.readSync(fd, buffer, offset, length, position)
        if (next <= 40 && written > DATA_START) {
          const c = commits[next++]!
          const upTo = next > 40 ? full.length : c.txStart + Math.floor((c.end - c.txStart) / 2)
          const w = fs.openSync(file, 'r+')
          fs.writeSync(w, full, written, upTo - written, written)
          fs.closeSync(w)
          written = upTo
        }
        return n
      },
    })
    // Before the fix, four looks that each moved on ended in DBDB_CORRUPT naming the
    // commit in flight, with the commits written since "after" it.
    const s = openStorage(file, { io })
    expect(s.knownHead.txid).toBeGreaterThanOrEqual(3)
    s.close()
    // The writer finishes: every commit is there, and none of it was taken for damage.
    const w = fs.openSync(file, 'r+')
    fs.writeSync(w, full, written, full.length - written, written)
    fs.closeSync(w)
    const after = openStorage(file)
    expect(after.head().txid).toBe(40)
    expect(after.verify().damage).toEqual([])
  })
})
