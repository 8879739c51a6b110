// A commit whose sync fails is never seen as committed, across real processes. W
// (workers/ops.mjs under strace) commits, and its fdatasync is held 1.5 s and then
// fails with EIO. Meanwhile its commit is in the page cache: R (a read-write handle)
// and R2 (a read-only one), in processes of their own (workers/session.mjs), read
// it. W gets DBDB_IO and cuts it off; R and R2 must move back, R commits three
// times, R2 sees those commits and backs up; after a reopen, and in the backup, all
// of R's commits are there and W's is not.

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { open } from '@dbdb/dbdb'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { killAll, makeTempDir, removeDir, Session, spawnWorker, type Worker } from './harness.js'

/** strace, able to trace and inject here (a container may forbid ptrace). */
function straceProblem(): string | undefined {
  const run = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'inject=fdatasync:error=EIO:when=1', 'true'], { encoding: 'utf8' })
  if (run.error !== undefined) return `strace is not installed (${run.error.message})`
  if (run.status !== 0) return `strace cannot trace here: ${run.stderr.trim()}`
  return undefined
}
const noStrace = straceProblem()
if (noStrace !== undefined) console.log(`[failed-sync] skipped: ${noStrace}; these tests inject the failed fdatasync with strace`)

/** How long W's failing fdatasync is held before it fails: the window in which the others read. */
const SYNC_DELAY_US = 1_500_000
/** A watcher that misses the window (a stalled machine) makes the attempt inconclusive; it is tried again. */
const ATTEMPTS = 3

let dir: string
beforeEach(() => {
  dir = makeTempDir('failed-sync')
})
afterEach(async () => {
  await killAll()
  removeDir(dir)
})

const BASE = { a: 1, b: 2, c: 3 }

/** One attempt; false when a watcher missed the window (nothing was checked then). */
async function attempt(t: number): Promise<boolean> {
  const file = join(dir, `db-${t}.db`)
  const setup = open(file)
  for (const [k, v] of Object.entries(BASE)) {
    setup.set(k, v)
    setup.commit()
  }
  setup.close()

  const r = new Session(file, join(dir, `r-${t}`))
  const r2 = new Session(file, join(dir, `r2-${t}`), { readOnly: true })
  for (const s of [r, r2]) expect(await s.worker.waitForLine((l) => l.startsWith('opened '))).toBe('opened 3')
  // Both poll (a read per task) from before W starts, so they read W's commit in its window.
  const watching = [r, r2].map((s) => s.run('waitFor', { key: 'w', timeoutMs: 30_000 }))
  const w = failingWriter(file, { w: 'failed' })
  const exit = await w.exited
  expect(exit.stdout, exit.stderr).toMatch(/^error DBDB_IO$/m)
  const seen = await Promise.all(watching)
  if (seen.some((x) => x.timedOut)) {
    console.log(`[failed-sync] attempt ${t}: a watcher did not read W's commit in its window (${JSON.stringify(seen)}); trying again`)
    for (const s of [r, r2]) await s.run('close')
    return false
  }
  expect(seen).toEqual([
    { txid: 4, value: 'failed' },
    { txid: 4, value: 'failed' },
  ])

  // Both move back (their next reads are in new tasks).
  for (const s of [r, r2]) {
    expect(await s.run('get', { key: 'w' })).toEqual({ value: null, has: false })
    expect(await s.run('txid')).toEqual({ txid: 3 })
  }
  // R's three commits, each acknowledged after its sync.
  const acked: number[] = []
  for (let i = 0; i < 3; i++) acked.push((await r.run('write', { set: { [`r${i}`]: i } })).txid)
  expect(acked).toEqual([4, 5, 6])
  const expected = { ...BASE, r0: 0, r1: 1, r2: 2 }
  const got = await r2.run('entries')
  expect(got.txid).toBe(6)
  expect(Object.fromEntries(got.entries)).toEqual(expected)
  const backup = join(dir, `backup-${t}.db`)
  expect(await r2.run('backup', { dest: backup })).toEqual({ txid: 6 })
  for (const s of [r, r2]) await s.run('close')

  for (const path of [file, backup]) {
    const db = open(path, { readOnly: true })
    expect(db.txid, path).toBe(6)
    expect(Object.fromEntries(db.entries()), path).toEqual(expected)
    expect(db.history().map((h) => h.txid)).toEqual([6, 5, 4, 3, 2, 1])
    expect(db.check().problems, path).toEqual([])
    db.close()
  }
  // And the next writer goes on from there.
  const next = open(file)
  next.set('after', true)
  expect(next.commit()?.txid).toBe(7)
  next.close()
  return true
}

/**
 * W under strace: one transaction setting `set`, whose commit's fdatasync is held and
 * then fails. `inherited`: the head W finds was written by a handle still open, which
 * has not checkpointed it, so W cannot know it was synced and syncs once at its lock
 * before writing on top (see ARCHITECTURE.md, "Inherited heads"); a file whose last
 * writer closed it points a slot at its head, and W's commit sync is its first.
 */
function failingWriter(file: string, set: Record<string, unknown>, inherited = false): Worker {
  return spawnWorker('ops.mjs', [file, JSON.stringify({ set })], undefined, [
    'strace',
    '-f',
    '-qq',
    '-o',
    '/dev/null',
    '-e',
    'trace=fdatasync',
    '-e',
    // Open and lock otherwise sync only the directory (fsync), not with fdatasync.
    `inject=fdatasync:error=EIO:delay_enter=${SYNC_DELAY_US}:when=${inherited ? 2 : 1}`,
  ])
}

/** One attempt of compacting while W's commit is in its window; false when the window was missed. */
async function compactionAttempt(t: number): Promise<boolean> {
  const file = join(dir, `compact-${t}.db`)
  const db = open(file)
  for (const [k, v] of Object.entries(BASE)) {
    db.set(k, v)
    db.commit()
  }
  const w = failingWriter(file, { w: 'failed' }, true)
  // Each read in a new task: wait until W's commit is readable (its sync is being held).
  const deadline = Date.now() + 30_000
  while (db.get('w') === undefined && w.running && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1))
  if (db.get('w') === undefined) {
    console.log(`[failed-sync] compaction attempt ${t}: W's commit was never read in its window; trying again`)
    await w.exited
    db.close()
    return false
  }
  // The compaction copies what it reads, then waits for the lock (W holds it until it fails).
  let error: unknown
  try {
    db.compact()
  } catch (err) {
    error = err
  }
  const exit = await w.exited
  expect(exit.stdout, exit.stderr).toMatch(/^error DBDB_IO$/m)
  expect(error, 'a compaction that copied a commit which then failed must not swap its copy in').toMatchObject({ code: 'DBDB_IO' })
  expect(db.get('w')).toBeUndefined()
  db.close()
  const after = open(file, { readOnly: true })
  expect(after.txid).toBe(3)
  expect(Object.fromEntries(after.entries())).toEqual(BASE)
  expect(after.history().map((h) => h.txid)).toEqual([3, 2, 1])
  expect(after.check().problems).toEqual([])
  after.close()
  // Compacting again (nothing failing now) works.
  const again = open(file)
  expect(again.compact().txid).toBe(3)
  expect(Object.fromEntries(again.entries())).toEqual(BASE)
  again.close()
  return true
}

describe('a commit whose fdatasync fails (strace), across processes', () => {
  it.skipIf(noStrace !== undefined)(
    "readers that saw it move back; a reader's later commits, a read-only reader and its backup never hold it",
    async () => {
      let done = false
      for (let t = 0; t < ATTEMPTS && !done; t++) done = await attempt(t)
      expect(done, `no attempt of ${ATTEMPTS} had both watchers read W's commit in its window`).toBe(true)
    },
    120_000,
  )

  it.skipIf(noStrace !== undefined)(
    'a compaction that copied it while it was in flight gives up, leaving the database as it was',
    async () => {
      let done = false
      for (let t = 0; t < ATTEMPTS && !done; t++) done = await compactionAttempt(t)
      expect(done, `no attempt of ${ATTEMPTS} read W's commit in its window`).toBe(true)
    },
    120_000,
  )
})
