// Crash and fault tests: a workload of ~20 transactions on a SimDisk, stopped at
// every one of its mutating calls. (a) A crash followed by a power loss (unsynced
// writes dropped, applied, or torn at sectors) must reopen to the last commit that
// returned, or to the one in flight, with every record intact; and the next writer
// must be able to commit. (b) A failed write or sync (EIO, ENOSPC) fails that
// commit with DBDB_IO, poisons the handle, and a reopen sees the previous commit.
// Also: a second crash during recovery, and crashes with durability 'none'.

import { describe, expect, it } from 'vitest'
import { DbdbError } from './errors.js'
import type { FileStorage } from './file-storage.js'
import { COMMIT_RECORD, DATA_START, RECORD_HEADER } from './format.js'
import { type Commit, commitRecords, DB, expectAtCommit, expectCode, openDb, writtenAt } from './sim-db.fixture.js'
import { type PowerLossMode, prng, randomBytes, randomInt, SimDisk, testSeed } from './testing/index.js'

interface TxPlan {
  readonly records: readonly Buffer[]
  /** Appended and then aborted before `records` (a large one has flushed, so the abort truncates). */
  readonly aborted: readonly Buffer[]
  /** Release the lock after the commit, so the next lock() reloads the head. */
  readonly unlock: boolean
}

const SIZES = [0, 1, 9, 100, 503, 512, 1000, 4087, 4096, 5000, 12000, 70000]

/** 9 records of ~512 KiB: more than the 4 MiB write buffer, so they reach the file before the commit. */
function large(rand: () => number): Buffer[] {
  const pattern = randomBytes(rand, 4096)
  return Array.from({ length: 9 }, (_, i) => {
    const r = Buffer.alloc(512 * 1024 + randomInt(rand, 1000), pattern)
    r.writeUInt32LE(i, 0)
    return r
  })
}

function makePlan(seed: number): TxPlan[] {
  const rand = prng(seed)
  const plan: TxPlan[] = []
  for (let t = 1; t <= 20; t++) {
    let records = Array.from({ length: 1 + randomInt(rand, 4) }, () => randomBytes(rand, SIZES[randomInt(rand, SIZES.length)]!))
    if (t === 6) records = [] // commits the previous root again
    if (t === 9) records = large(rand)
    const aborted = t === 3 ? [randomBytes(rand, 300)] : t === 14 ? large(rand) : []
    plan.push({ records, aborted, unlock: rand() < 0.3 })
  }
  return plan
}

/** What a workload run got to before it stopped. */
class Run {
  storage: FileStorage | undefined
  /** Every commit that returned. */
  readonly history: Commit[] = []
  /** The commit whose commit() call was running when the run stopped, if any. */
  inFlight: Commit | undefined
}

function workload(disk: SimDisk, plan: readonly TxPlan[], run: Run): void {
  const s = openDb(disk)
  run.storage = s
  for (const tx of plan) {
    if (!s.locked) s.lock()
    for (const r of tx.aborted) s.append(r)
    if (tx.aborted.length > 0) s.abort()
    const txStart = run.history.at(-1)?.end ?? DATA_START
    const records = tx.records.map((r) => ({ address: s.append(r), bytes: r }))
    const root = records.at(-1)?.address ?? run.history.at(-1)?.head.root ?? 0
    const address = txStart + tx.records.reduce((n, r) => n + RECORD_HEADER + r.length, 0)
    const txid = run.history.length + 1
    run.inFlight = { head: { txid, root, address, time: 0 }, end: address + COMMIT_RECORD, records }
    const head = s.commit(root)
    run.inFlight = undefined
    expect(head).toEqual({ txid, root, address, time: head.time })
    run.history.push({ head, end: address + COMMIT_RECORD, records })
    if (tx.unlock) s.unlock()
  }
  s.close()
}

/** Opens a disk after a crash or failure: it must be at one of `allowed`, and a writer must be able to commit on it. */
function checkRecovered(disk: SimDisk, history: readonly Commit[], allowed: readonly number[]): number {
  const s = openDb(disk)
  const txid = s.head().txid
  expect(allowed).toContain(txid)
  expectAtCommit(s, history, txid)
  expect(s.lock()).toEqual(s.head())
  const next = commitRecords(s, [Buffer.from(`after txid ${txid}`)], { index: 0 })
  expect(next.head.txid).toBe(txid + 1)
  s.close()
  // The new commit is durable: it survives a power loss right after.
  const again = openDb(disk.powerLoss(txid, 'drop'))
  expect(again.head()).toEqual(next.head)
  expect(Buffer.from(again.read(next.head.root)).toString()).toBe(`after txid ${txid}`)
  if (txid > 0) {
    const root = history[txid - 1]!.head.root
    expect(Buffer.from(again.read(root)).equals(writtenAt(history, root)!)).toBe(true)
  }
  again.close()
  return txid
}

describe('crash at every mutating call', () => {
  const seed = testSeed('crash workload')
  const plan = makePlan(seed)
  const reference = new SimDisk()
  workload(reference, plan, new Run())
  const calls = reference.calls

  /** Runs the workload until it crashes at mutating call n. */
  function crashAt(n: number): { disk: SimDisk; history: Commit[]; allowed: number[] } {
    const disk = new SimDisk()
    disk.failAt(n, 'crash')
    const run = new Run()
    try {
      workload(disk, plan, run)
    } catch (err) {
      if (!disk.crashed) throw err
    }
    expect(disk.crashed, `crash point ${n}`).toBe(true)
    const history = run.inFlight === undefined ? run.history : [...run.history, run.inFlight]
    const allowed = run.inFlight === undefined ? [run.history.length] : [run.history.length, run.inFlight.head.txid]
    return { disk, history, allowed }
  }

  it('reopens to the last returned or the in-flight commit, whole, after any power loss', () => {
    const modes: Array<[PowerLossMode | 'restart', number]> = [
      ['restart', 0],
      ['drop', 0],
      ['apply', 0],
      ['torn', seed + 1],
      ['torn', seed + 2],
      ['torn', seed + 3],
    ]
    let reopened = 0
    const reached = new Set<number>()
    for (let n = 1; n <= calls; n++) {
      const { disk, history, allowed } = crashAt(n)
      for (const [mode, powerSeed] of modes) {
        try {
          // 'restart': only the process died; the page cache lives on, unsynced.
          const after = mode === 'restart' ? disk.restart() : disk.powerLoss(powerSeed, mode)
          reached.add(checkRecovered(after, history, allowed))
        } catch (err) {
          throw new Error(`crash at call ${n}, ${mode} (seed ${powerSeed}): ${(err as Error).message}`, { cause: err })
        }
        reopened++
      }
    }
    console.log(
      `[crash] ${calls} crash points x ${modes.length} ways to come back (restart, power losses) = ${reopened} reopens; commits reached: ${reached.size}`,
    )
    expect(reached.size).toBe(plan.length + 1)
  }, 60_000)

  it('a second crash, while the next writer recovers (cuts off the torn tail, commits), costs at most that commit', () => {
    const recover = (disk: SimDisk): void => {
      const s = openDb(disk)
      s.lock()
      commitRecords(s, [Buffer.from('recovered')], { index: 0 })
      s.close()
    }
    let points = 0
    for (let n = 1; n <= calls; n += 3) {
      const { disk, history, allowed } = crashAt(n)
      const rebooted = disk.powerLoss(seed + n, 'torn')
      const first = openDb(rebooted)
      const txid = first.head().txid
      first.close()
      expect(allowed).toContain(txid)
      const counting = rebooted.restart()
      recover(counting)
      for (let m = 1; m <= counting.calls; m++) {
        const again = rebooted.restart()
        again.failAt(m, 'crash')
        expect(() => recover(again)).toThrow()
        expect(again.crashed).toBe(true)
        for (const mode of ['drop', 'torn'] as const) {
          const s = openDb(again.powerLoss(seed + m, mode))
          const at = s.head().txid
          expect([txid, txid + 1], `crash at ${n}, then at ${m} of the recovery, ${mode}`).toContain(at)
          if (at === txid) expectAtCommit(s, history, txid)
          else expect(Buffer.from(s.read(s.head().root)).toString()).toBe('recovered')
          s.close()
        }
        points++
      }
    }
    console.log(`[crash] ${points} crash points during recovery`)
  }, 60_000)

  for (const kind of ['EIO', 'ENOSPC'] as const) {
    it(`a failed write or sync (${kind}) fails that commit with DBDB_IO; a reopen sees the previous commit`, () => {
      let failedTransactions = 0
      let tolerated = 0
      let failedOpens = 0
      for (let n = 1; n <= calls; n++) {
        const disk = new SimDisk()
        disk.failAt(n, kind)
        const run = new Run()
        let error: unknown
        try {
          workload(disk, plan, run)
        } catch (err) {
          error = err
        }
        const where = `${kind} at call ${n}`
        if (error === undefined) {
          // The call whose failure costs nothing: a superblock checkpoint or a directory sync.
          tolerated++
          const s = openDb(disk)
          expectAtCommit(s, run.history, plan.length)
          s.close()
          continue
        }
        if (run.storage === undefined) {
          // Creating the file failed. Nothing was acknowledged; a retry creates it.
          failedOpens++
          // A coded error, the disk's own as its cause.
          expect((error as DbdbError).code, where).toBe('DBDB_IO')
          const cause = (error as DbdbError).cause as NodeJS.ErrnoException
          expect(cause.code, where).toBe(kind)
          // No stray temporary file, unless removing it is what failed.
          const stray = disk.list().filter((name) => name !== DB)
          expect(stray.length, where).toBe(cause.syscall === 'unlink' ? 1 : 0)
          checkRecovered(disk, [], [0])
          continue
        }
        failedTransactions++
        expect(error, where).toBeInstanceOf(DbdbError)
        expect((error as DbdbError).code, where).toBe('DBDB_IO')
        const s = run.storage
        expectCode(() => s.lock(), 'DBDB_IO')
        expectCode(() => s.append(Buffer.from('x')), 'DBDB_IO')
        expectCode(() => s.commit(0), 'DBDB_IO')
        s.close()
        // After a power loss the failed commit may be back whole (its write may have
        // reached the disk though the sync failed), as with a crash while committing.
        const inFlight = run.inFlight === undefined ? [] : [run.inFlight]
        const atLoss = [run.history.length, ...inFlight.map((c) => c.head.txid)]
        checkRecovered(disk.powerLoss(n, 'torn'), [...run.history, ...inFlight], atLoss)
        checkRecovered(disk, run.history, [run.history.length])
      }
      console.log(
        `[crash] ${kind} at each of ${calls} calls: ${failedTransactions} failed transactions, ${failedOpens} failed creations, ${tolerated} tolerated`,
      )
      expect(failedTransactions).toBeGreaterThan(plan.length)
    }, 60_000)
  }
})

describe('crash with durability none', () => {
  it('reopens to some commit, whole, never an error', () => {
    // With durability 'none' commits are not synced, so a power loss may lose
    // acknowledged ones; it must still never leave a file that fails to open.
    const seed = testSeed('crash durability none')
    const rand = prng(seed)
    const plan = makePlan(seed).map((tx) => ({ ...tx, records: tx.records.filter((r) => r.length < 100_000) }))
    const workloadNone = (disk: SimDisk, run: Run): void => {
      const s = openDb(disk, { durability: 'none' })
      run.storage = s
      s.lock()
      for (const tx of plan) {
        const txStart = run.history.at(-1)?.end ?? DATA_START
        const records = tx.records.map((r) => ({ address: s.append(r), bytes: r }))
        const root = records.at(-1)?.address ?? run.history.at(-1)?.head.root ?? 0
        const address = txStart + tx.records.reduce((n, r) => n + RECORD_HEADER + r.length, 0)
        run.inFlight = { head: { txid: run.history.length + 1, root, address, time: 0 }, end: address + COMMIT_RECORD, records }
        const head = s.commit(root)
        run.history.push({ ...run.inFlight, head })
        run.inFlight = undefined
      }
      s.close()
    }
    const reference = new SimDisk()
    workloadNone(reference, new Run())
    for (let n = 1; n <= reference.calls; n++) {
      const disk = new SimDisk()
      disk.failAt(n, 'crash')
      const run = new Run()
      try {
        workloadNone(disk, run)
      } catch (err) {
        if (!disk.crashed) throw err
      }
      const history = run.inFlight === undefined ? run.history : [...run.history, run.inFlight]
      const allowed = history.map((_, i) => i + 1).concat(0)
      checkRecovered(disk.restart(), history, allowed)
      for (const mode of ['drop', 'apply', 'torn'] as const) checkRecovered(disk.powerLoss(randomInt(rand, 1e9), mode), history, allowed)
    }
    console.log(`[crash] durability none: ${reference.calls} crash points x 4 ways to come back`)
  }, 60_000)
})
