// Online compaction (docs/ARCHITECTURE.md, "Compaction protocol") with real
// processes and real files:
//
// 1. writers: 3 processes do read-modify-write transactions (workers/compaction-writer.mjs)
//    while this process compacts the file several times (once with keepHistory: 3) and
//    2 read-only processes read (workers/compaction-reader.mjs). No lost update, every
//    acked write present, txids unique and continuing across compactions, readers
//    never throw nor see a torn commit, and the last compaction shrinks the file.
// 2. kills: a database of 20,000 keys written 4 times is compacted by a child
//    (workers/compactor.mjs) that is SIGKILLed at a seeded instant; the database must
//    open with exactly its data, lose the NAME.compacting leftover at the next
//    read-write open, take a commit and compact again. Some trials instead kill a
//    writer (workers/writer.mjs) while the compaction catches up with it.
// 3. snapshots: snapshots and at() views across commits and compactions, with a
//    background writer process (workers/bg-writer.mjs) and a handle in another process
//    (workers/session.mjs) that opened the database before the compactions.
//
// Counts: DBDB_TRIALS_COMPACTION (kill trials; 10 quick, 200 under DBDB_STRESS) also
// sets the rounds of the other two (one writers round per 20 kill trials, one
// snapshots round per 40, at least 1), unless DBDB_TRIALS_COMPACTION_WRITERS or
// DBDB_TRIALS_COMPACTION_SNAPSHOTS say otherwise.

import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { open, type Database } from '@dbdb/dbdb'
import { prng, testSeed } from '@dbdb/logical/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { applyCommit, BIG_KEYS, bigKey, expectedEntries } from '../workers/workload.mjs'
import { codeOf, killAll, makeTempDir, removeDir, report, sleep, spawnWorker, STRESS, tally, timeoutFor, trialCount, trialNumbers, trialSeed, type Worker } from './harness.js'

const TRIALS = trialCount('compaction', 10, 200)

function countFrom(variable: string, fallback: number): number {
  const v = process.env[variable]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`${variable} must be a positive integer, got ${v}`)
  return n
}
const WRITER_ROUNDS = countFrom('DBDB_TRIALS_COMPACTION_WRITERS', Math.max(1, Math.round(TRIALS / 20)))
const SNAPSHOT_ROUNDS = countFrom('DBDB_TRIALS_COMPACTION_SNAPSHOTS', Math.max(1, Math.round(TRIALS / 40)))

type Entry = [string, unknown]

const byKey = (a: Entry, b: Entry): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

/** Deep equality of two entry lists (values are JSON data). */
function sameEntries(got: readonly Entry[], want: readonly Entry[]): boolean {
  if (got.length !== want.length) return false
  for (let i = 0; i < got.length; i++) {
    if (got[i]![0] !== want[i]![0] || JSON.stringify(got[i]![1]) !== JSON.stringify(want[i]![1])) return false
  }
  return true
}

function describeDiff(got: readonly Entry[], want: readonly Entry[]): string {
  let i = 0
  while (i < got.length && i < want.length && got[i]![0] === want[i]![0] && JSON.stringify(got[i]![1]) === JSON.stringify(want[i]![1])) i++
  const show = (e: Entry | undefined): string => (e === undefined ? 'end' : JSON.stringify(e).slice(0, 80))
  return `${got.length} entries, expected ${want.length}; first difference at #${i}: got ${show(got[i])}, expected ${show(want[i])}`
}

function errText(err: unknown): string {
  return `${(err as { code?: string }).code ?? ''} ${(err as Error)?.message ?? String(err)}`.trim()
}

/** Runs `fn`; an exception becomes a problem (and undefined), so one bug does not hide the checks after it. */
function attempt<T>(problems: string[], what: string, fn: () => T): T | undefined {
  try {
    return fn()
  } catch (err) {
    problems.push(`${what} threw ${errText(err)}`)
    return undefined
  }
}

/** All [key, value] pairs of a view, in key order. */
function entriesOf(view: { entries(): IterableIterator<[string, unknown]> }): Entry[] {
  return [...view.entries()]
}

/** Polls until `cond` holds (no assertion depends on how long that takes). */
async function until(cond: () => boolean, everyMs = 2): Promise<void> {
  while (!cond()) await sleep(everyMs)
}

function linesStarting(w: Worker, prefix: string): string[] {
  return w.lines.filter((l) => l.startsWith(prefix))
}

/** The txids of `history()`, or a problem. */
function historyOf(db: Database, problems: string[], where: string): number[] | undefined {
  const txids = attempt(problems, `${where}: history()`, () => db.history().map((h) => h.txid))
  if (txids === undefined) return undefined
  for (let i = 1; i < txids.length; i++) {
    if (!(txids[i]! < txids[i - 1]!)) {
      problems.push(`${where}: history() not strictly decreasing: ${txids.slice(0, 20).join(',')}`)
      break
    }
  }
  return txids
}

const openHandles: Array<{ close(): void }> = []
afterEach(async () => {
  for (const h of openHandles.splice(0)) {
    try {
      h.close()
    } catch {
      // already closed or broken: the test has reported it
    }
  }
  await killAll()
})

function track<T extends { close(): void }>(h: T): T {
  openHandles.push(h)
  return h
}

// ---------------------------------------------------------------------------
// 1. Compaction under concurrent writers and readers in other processes
// ---------------------------------------------------------------------------

const WRITERS = 3
const READERS = 2
const INCREMENTS = STRESS ? 250 : 80
const COMPACTIONS = STRESS ? 6 : 4
const SETUP_KEYS = 2000
const WRITER_LOCK_TIMEOUT_MS = 60_000

interface Ack {
  worker: number
  txid: number
  j: number
  value: number
}

interface ReaderReport {
  reads: number
  distinct: number
  files: number
  finalCounter: number | null
  finalTxid: number | null
  bad: unknown[]
}

/** Bytes a compacted file may hold beyond the same content packed alone (its txid and history differ). */
const PACKED_SLACK = 64

/** The size of a file holding just these entries, compacted: what a compaction should reach. */
function packedBytes(entries: Entry[]): number {
  const dir = makeTempDir('compaction-packed')
  try {
    const db = open(join(dir, 'packed.db'), { durability: 'none' })
    try {
      db.transaction(() => {
        for (const [k, v] of entries) db.set(k, v)
      })
      return db.compact().after
    } finally {
      db.close()
    }
  } finally {
    removeDir(dir)
  }
}

async function writersRound(seed: number, t: number): Promise<{ stats: Record<string, number>; failures: string[] }> {
  const rand = prng(trialSeed(seed, t))
  const dir = makeTempDir('compaction-writers')
  const file = join(dir, 'shared.db')
  const go = join(dir, 'go')
  const stop = join(dir, 'stop')
  const failures: string[] = []
  const fail = (msg: string): void => {
    failures.push(msg)
  }
  const stats: Record<string, number> = { rounds: 1, compactions: 0 }
  const total = WRITERS * INCREMENTS
  // Each compaction starts once this many increments were acked; the last one in
  // the first 70%, so the final compaction has plenty of overwriting to undo.
  // One compaction follows another at once: a writer waiting for the lock may then
  // see the file replaced twice while it waits.
  const thresholds = Array.from({ length: COMPACTIONS }, () => Math.floor((0.05 + rand() * 0.65) * total)).sort((a, b) => a - b)
  const pairAt = Math.floor(rand() * (COMPACTIONS - 1))
  thresholds[pairAt + 1] = thresholds[pairAt]!
  const keep3At = Math.floor(rand() * COMPACTIONS)
  const facts = { round: t, thresholds, keep3At }

  // Setup commit (txid 1): SETUP_KEYS data keys and the counter at 0. Every later
  // commit is one increment, so commit x holds counter x - SETUP.
  const setup = open(file)
  setup.transaction(() => {
    for (let i = 0; i < SETUP_KEYS; i++) setup.set(`d:${String(i).padStart(5, '0')}`, { i, pad: 'd'.repeat(100) })
    setup.set('counter', 0)
  })
  const SETUP = setup.txid
  const setupData = entriesOf(setup).filter(([k]) => k.startsWith('d:'))
  setup.close()

  const writers = Array.from({ length: WRITERS }, (_, id) =>
    spawnWorker('compaction-writer.mjs', [file, go, String(id), String(INCREMENTS), String(trialSeed(seed + id + 1, t)), String(WRITER_LOCK_TIMEOUT_MS)]),
  )
  const readers = Array.from({ length: READERS }, () => spawnWorker('compaction-reader.mjs', [file, go, stop, String(SETUP), String(WRITERS)]))
  const all = [...writers, ...readers]
  let db: Database | undefined
  try {
    await Promise.all(all.map((w) => w.waitForLine((l) => l === 'ready')))
    writeFileSync(go, '')
    // Readers have read the original file before the first compaction.
    await Promise.all(readers.map((r) => r.waitForLine((l) => l === 'first-read')))
    db = track(open(file, { lockTimeoutMs: WRITER_LOCK_TIMEOUT_MS }))
    const acked = (): number => writers.reduce((n, w) => n + linesStarting(w, 'acked ').length, 0)
    const infos: Array<{ txid: number; before: number; after: number; keep: number }> = []
    for (let c = 0; c < COMPACTIONS; c++) {
      await until(() => acked() >= thresholds[c]! || writers.every((w) => !w.running))
      const keep = c === keep3At ? 3 : 1
      const where = `compaction #${c} (keepHistory ${keep}, after ${acked()} acks)`
      const info = attempt(failures, where, () => db!.compact(keep === 3 ? { keepHistory: 3 } : {}))
      if (info === undefined) continue
      stats.compactions!++
      infos.push({ ...info, keep })
      const prev = infos[infos.length - 2]
      if (prev !== undefined && info.txid < prev.txid) fail(`${where}: compacted txid ${info.txid} < the previous compaction's ${prev.txid}`)
      const now = db.txid
      if (now < info.txid) fail(`${where}: the handle is at txid ${now} after compacting up to ${info.txid}`)
      if (!db.check().ok) fail(`${where}: check() not ok: ${db.check().problems.join('; ')}`)
      const hist = historyOf(db, failures, where)
      if (hist !== undefined) {
        const oldest = hist[hist.length - 1]!
        if (keep === 3 && hist.filter((x) => x <= info.txid).length < 3) fail(`${where}: history ${hist.join(',')} keeps fewer than 3 commits up to ${info.txid}`)
        if (oldest > info.txid) fail(`${where}: history ${hist.join(',')} lacks the compacted commit ${info.txid}`)
        // Every kept commit is one whole commit of the workload, readable with at().
        for (const x of hist) {
          const snap = attempt(failures, `${where}: at(${x})`, () => db!.at(x))
          if (snap === undefined) continue
          try {
            const counter = snap.get('counter')
            const incs = snap.count({ gte: 'inc:', lt: 'inc;' })
            if (counter !== x - SETUP || incs !== counter) fail(`${where}: at(${x}) holds counter ${counter} and ${incs} inc: keys, expected ${x - SETUP}`)
          } finally {
            snap.close()
          }
        }
        const dropped = codeOf(() => db!.at(oldest - 1).close())
        if (oldest - 1 >= 1 && dropped !== 'DBDB_NO_SUCH_COMMIT') fail(`${where}: at(${oldest - 1}), older than the kept history ${hist.join(',')}, gave ${dropped ?? 'a view'}`)
        const key = keep === 3 ? 'commits-kept-by-keep3' : 'commits-kept-by-keep1'
        stats[key] = (stats[key] ?? 0) + hist.filter((x) => x <= info.txid).length
      }
      // The children's lines keep flowing while this process is busy only in compact().
      await sleep(0)
    }
    const wexits = await Promise.all(writers.map((w) => w.exited))

    // Acks: one per transaction, txids unique across processes and compactions,
    // increasing per process, and commit x holds counter x - SETUP.
    const acks: Ack[] = []
    const finals: Entry[][] = []
    wexits.forEach((exit, id) => {
      if (exit.code !== 0) fail(`writer ${id} exited with ${exit.code ?? exit.signal}: ${exit.stderr.trim().slice(0, 2000)}`)
      const mine = linesStarting(writers[id]!, 'acked ').map((l) => {
        const [, txid, j, value] = l.split(' ').map(Number)
        return { worker: id, txid: txid!, j: j!, value: value! }
      })
      if (mine.length !== INCREMENTS) fail(`writer ${id} acked ${mine.length} of ${INCREMENTS}`)
      for (let i = 1; i < mine.length; i++) {
        if (!(mine[i]!.txid > mine[i - 1]!.txid)) fail(`writer ${id} acked txids not increasing: ${mine[i - 1]!.txid} then ${mine[i]!.txid}`)
      }
      for (const a of mine) if (a.value !== a.txid - SETUP) fail(`writer ${id} #${a.j}: commit ${a.txid} set the counter to ${a.value}, expected ${a.txid - SETUP}`)
      acks.push(...mine)
      const finalLine = linesStarting(writers[id]!, 'final ')[0]
      finals[id] = finalLine === undefined ? [] : (JSON.parse(finalLine.slice('final '.length)) as Entry[])
      if (finalLine === undefined && exit.code === 0) fail(`writer ${id} printed no final model`)
    })
    const byTxid = new Map<number, Ack>()
    for (const a of acks) {
      const other = byTxid.get(a.txid)
      if (other !== undefined) fail(`txid ${a.txid} acked twice: by writer ${other.worker} (#${other.j}) and writer ${a.worker} (#${a.j})`)
      byTxid.set(a.txid, a)
    }

    // The last compaction, with the writers done: much smaller than before it.
    const lastConcurrent = infos[infos.length - 1]
    const commitsSince = db.txid - (lastConcurrent?.txid ?? SETUP)
    const content = entriesOf(db)
    const final = attempt(failures, 'final compaction', () => db!.compact())
    if (final !== undefined) {
      // What the commits since the last compaction wrote is all reclaimed: the
      // file is as small as the same content compacted in a file of its own.
      // (How much smaller than before depends on how many commits the writers
      // got in after the last concurrent compaction, which is timing.)
      const packed = packedBytes(content)
      console.log(`[compaction writers] round ${t}: final compaction ${final.before} -> ${final.after} bytes after ${commitsSince} commits since the previous one; the content packed alone: ${packed} bytes`)
      if (final.after > packed + PACKED_SLACK) fail(`final compaction ${final.before} -> ${final.after} bytes, more than the ${packed} bytes of the same content packed alone`)
      if (commitsSince > 0 && !(final.after < final.before)) fail(`final compaction ${final.before} -> ${final.after} bytes after ${commitsSince} overwriting commits: no smaller`)
      if (final.txid !== db.txid) fail(`final compaction at txid ${final.txid}, the handle at ${db.txid}`)
      if (!sameEntries(entriesOf(db), content)) fail(`final compaction changed the content: ${describeDiff(entriesOf(db), content)}`)
      const hist = historyOf(db, failures, 'after the final compaction')
      if (hist !== undefined && hist.join() !== String(final.txid)) fail(`history after the final compaction: ${hist.join(',')}, expected ${final.txid}`)
      stats['final-compaction-at-least-halved'] = final.after * 2 < final.before ? 1 : 0
      stats['final-compaction-bytes-over-packed'] = final.after - packed
    }
    const extra = readdirSync(dir).filter((n) => n !== 'shared.db' && n !== 'go')
    if (extra.length > 0) fail(`files left in the directory: ${extra.join(', ')}`)

    // Readers: one last read after everything; they must see the final commit.
    const readerFinals: Array<{ reader: number; counter: number | null; txid: number | null }> = []
    writeFileSync(stop, '')
    const rexits = await Promise.all(readers.map((r) => r.exited))
    rexits.forEach((exit, i) => {
      const lastLine = readers[i]!.lines.at(-1)
      let rep: ReaderReport | undefined
      try {
        rep = lastLine === undefined ? undefined : (JSON.parse(lastLine) as ReaderReport)
      } catch {
        rep = undefined
      }
      if (exit.code !== 0 || rep === undefined) {
        fail(`reader ${i} exited with ${exit.code ?? exit.signal}: ${JSON.stringify(rep?.bad ?? []).slice(0, 3000)} ${exit.stderr.trim().slice(0, 2000)}`)
        return
      }
      readerFinals.push({ reader: i, counter: rep.finalCounter, txid: rep.finalTxid })
      stats['reader-reads'] = (stats['reader-reads'] ?? 0) + rep.reads
      stats['reader-distinct-commits'] = (stats['reader-distinct-commits'] ?? 0) + rep.distinct
      stats['reader-files-seen'] = (stats['reader-files-seen'] ?? 0) + rep.files
    })

    // The file, read by a fresh handle.
    const check = track(open(file, { readOnly: true }))
    const counter = check.get('counter') as number
    const incs = entriesOf({ entries: () => check.entries({ gte: 'inc:', lt: 'inc;' }) })
    if (counter !== incs.length) fail(`lost update: counter is ${counter} but there are ${incs.length} inc: keys`)
    if (counter < acks.length) fail(`counter ${counter} < ${acks.length} acked increments`)
    if (counter !== check.txid - SETUP) fail(`counter ${counter} at txid ${check.txid}: txids did not continue one per commit across compactions`)
    for (const r of readerFinals) {
      if (r.txid !== check.txid || r.counter !== counter) fail(`reader ${r.reader}'s last read saw txid ${r.txid} (counter ${r.counter}), the file is at ${check.txid} (counter ${counter}): a handle opened before the compactions must follow them`)
    }
    for (const a of acks) {
      const v = check.get(`inc:${a.worker}:${a.j}`)
      if (v !== a.value) fail(`acked inc:${a.worker}:${a.j}=${a.value} is ${v} in the file`)
    }
    for (let id = 0; id < WRITERS; id++) {
      if (wexits[id]!.code !== 0) continue // reported above; its model is incomplete
      const own = entriesOf({ entries: () => check.entries({ gte: `own:${id}:`, lt: `own:${id};` }) })
      if (!sameEntries(own, finals[id]!)) fail(`writer ${id}'s own keys: ${describeDiff(own, finals[id]!)}`)
      if (check.get(`last:${id}`) !== INCREMENTS - 1) fail(`last:${id} is ${check.get(`last:${id}`)}`)
    }
    const data = entriesOf({ entries: () => check.entries({ gte: 'd:', lt: 'd;' }) })
    if (!sameEntries(data, setupData)) fail(`setup data changed: ${describeDiff(data, setupData)}`)
    const report = check.check()
    if (!report.ok) fail(`check() not ok: ${report.problems.join('; ')}`)
    check.close()
    Object.assign(stats, { commits: counter, acked: acks.length })
    return { stats, failures: failures.map((f) => `writers round ${t} (replay: DBDB_SEED=${seed} DBDB_ONLY_TRIAL=${t}): ${f} ${JSON.stringify(facts)}`) }
  } finally {
    db?.close()
    for (const w of all) w.kill()
    await Promise.all(all.map((w) => w.exited))
    removeDir(dir)
  }
}

describe('compaction while writer and reader processes work', () => {
  it(
    `loses no update, keeps every acked write and txid order, and readers see only whole commits (${WRITER_ROUNDS} round(s): ${WRITERS} writers x ${INCREMENTS} increments, ${READERS} readers, ${COMPACTIONS} compactions + 1)`,
    async () => {
      const seed = testSeed('compaction writers')
      const outcomes: Record<string, number> = {}
      const failures: string[] = []
      const rounds = trialNumbers(WRITER_ROUNDS)
      let failed = 0
      for (const t of rounds) {
        const r = await writersRound(seed, t)
        for (const [k, v] of Object.entries(r.stats)) outcomes[k] = (outcomes[k] ?? 0) + v
        if (r.failures.length > 0) failed++
        for (const f of r.failures) console.error(f)
        failures.push(...r.failures)
      }
      report({ test: 'compaction-writers', seed, trials: rounds.length, failed, outcomes })
      expect(failures.slice(0, 10), `${failures.length} problems`).toEqual([])
    },
    timeoutFor(WRITER_ROUNDS, 60_000),
  )
})

// ---------------------------------------------------------------------------
// 2. SIGKILL during compaction
// ---------------------------------------------------------------------------

/** The base database: commits 1..BASE_TXID of workload.mjs's small mode, each also rewriting BIG keys. */
const BASE_TXID = 4
const PAD = 'p'.repeat(200)
const baseBigValue = (i: number): string => `${i}:${PAD}`

/** The content after commit `txid` (commits after BASE_TXID are small-mode commits of writer.mjs). */
function expectedAt(txid: number): Entry[] {
  const out: Entry[] = expectedEntries(txid, 'small')
  const v = baseBigValue(Math.min(txid, BASE_TXID))
  for (let n = 0; n < BIG_KEYS; n++) out.push([bigKey(n), v])
  return out.sort(byKey)
}

type KillKind = 'compact' | 'compact-keep3' | 'writer'

function killKindOf(t: number): KillKind {
  const r = t % 10
  return r < 6 ? 'compact' : r < 8 ? 'compact-keep3' : 'writer'
}

const DB_NAME = 'crash.db'
const STRAY = /^\.crash\.db(\.compacting)?\.\d+\.[0-9a-f]+\.creating$/

describe('compaction killed at a random instant', () => {
  let root: string
  let base: string
  /**
   * How long a child's compaction of the base takes when nobody kills it, by
   * keepHistory: the calibration run's, then the median of the trials that finished
   * before their kill. It only sets the range of the kill delays.
   */
  const durations: Record<number, number[]> = { 1: [], 3: [] }
  const compactMs = (keep: number): number => {
    const xs = [...durations[keep]!].sort((a, b) => a - b)
    return Math.max(5, xs[Math.floor(xs.length / 2)] ?? 100)
  }

  beforeAll(async () => {
    root = makeTempDir('compaction-kill')
    base = join(root, 'base.db')
    const db = open(base, { durability: 'none' })
    for (let i = 1; i <= BASE_TXID; i++) {
      applyCommit(db, i, 'small')
      const v = baseBigValue(i)
      for (let n = 0; n < BIG_KEYS; n++) db.set(bigKey(n), v)
      db.commit()
    }
    db.close()
    // Calibration: one whole compaction by a child, on a copy, for each keepHistory used.
    for (const keep of [1, 3]) {
      const copy = join(root, 'calibrate.db')
      copyFileSync(base, copy)
      const w = spawnWorker('compactor.mjs', [copy, String(keep)])
      const exit = await w.exited
      const done = /^compacted (\d+) (\d+) (\d+) (\d+)$/m.exec(exit.stdout)
      if (exit.code !== 0 || done === null) throw new Error(`calibration compaction failed: ${exit.code ?? exit.signal} ${exit.stderr}`)
      durations[keep]!.push(Number(done[4]))
      console.log(
        `[compaction kill] base: ${statSync(base).size} bytes, ${BIG_KEYS} keys written ${BASE_TXID} times; a whole compaction (keepHistory ${keep}) took ${done[4]} ms (${done[1]} -> ${done[2]} bytes)`,
      )
      rmSync(copy, { force: true })
    }
  }, 120_000)
  afterAll(() => removeDir(root))

  async function killTrial(seed: number, t: number): Promise<{ outcome: string; failure?: string }> {
    const rand = prng(trialSeed(seed, t))
    const kind = killKindOf(t)
    const dir = join(root, `trial-${t}`)
    mkdirSync(dir)
    const file = join(dir, DB_NAME)
    copyFileSync(base, file)
    const { ino: ino0, size: size0 } = statSync(file)
    const facts: Record<string, unknown> = { trial: t, kind }
    const problems: string[] = []
    const workers: Worker[] = []
    const done = (outcome: string): { outcome: string; failure?: string } =>
      problems.length === 0 ? { outcome } : { outcome: 'error', failure: `${problems.slice(0, 5).join('\n  ')}\n  facts: ${JSON.stringify(facts)}` }
    try {
      let txid = BASE_TXID
      let outcome: string
      let renamed: boolean
      if (kind !== 'writer') {
        const keep = kind === 'compact-keep3' ? 3 : 1
        // Half the kills anywhere in the compaction, half near its end (the swap).
        const whole = compactMs(keep)
        const delay = rand() < 0.5 ? rand() * 1.1 * whole : whole * (0.85 + rand() * 0.25)
        facts.delayMs = Math.round(delay * 100) / 100
        const w = spawnWorker('compactor.mjs', [file, String(keep)])
        workers.push(w)
        if ((await w.waitForLine((l) => l === 'compacting')) === undefined) {
          const exit = await w.exited
          return { outcome: 'error', failure: `the compactor never started: ${exit.code ?? exit.signal} ${exit.stderr}` }
        }
        await sleep(delay)
        w.kill()
        const exit = await w.exited
        const finished = w.lines.some((l) => l.startsWith('compacted '))
        const took = /^compacted \d+ \d+ \d+ (\d+)$/m.exec(exit.stdout)
        if (took !== null) durations[keep]!.push(Number(took[1]))
        facts.exit = exit.signal ?? exit.code
        if (exit.signal !== 'SIGKILL' && exit.code !== 0) problems.push(`the compactor failed: ${exit.code} ${exit.stderr.trim().slice(0, 2000)}`)
        renamed = statSync(file).ino !== ino0
        const leftover = existsSync(`${file}.compacting`)
        const movedTail = !renamed && statSync(file).size > size0
        facts.renamed = renamed
        if (finished && !renamed) problems.push('the compactor reported success but the file was not replaced')
        outcome = `${kind}:${finished ? 'finished' : renamed ? 'killed-after-rename' : 'killed-before-rename'}${leftover ? '+leftover' : ''}${movedTail ? '+moved-tail' : ''}`
        const strays = readdirSync(dir).filter((n) => n !== DB_NAME && n !== `${DB_NAME}.compacting` && !STRAY.test(n))
        if (strays.length > 0) problems.push(`unexpected files ${strays.join(', ')}`)

        // Read-only first: the database holds exactly its data, whichever file it is.
        const ro = attempt(problems, 'read-only open', () => track(open(file, { readOnly: true })))
        if (ro !== undefined) {
          if (ro.txid !== BASE_TXID) problems.push(`read-only: txid ${ro.txid}, expected ${BASE_TXID}`)
          const got = entriesOf(ro)
          if (!sameEntries(got, expectedAt(BASE_TXID))) problems.push(`read-only: content differs: ${describeDiff(got, expectedAt(BASE_TXID))}`)
          const rep = ro.check()
          if (!rep.ok) problems.push(`read-only check() not ok: ${rep.problems.join('; ')}`)
          const hist = historyOf(ro, problems, 'read-only')
          const want = !renamed || keep === 3 ? [4, 3, 2, 1].slice(0, renamed ? 3 : 4) : [4]
          if (hist !== undefined && hist.join() !== want.join()) problems.push(`read-only history ${hist.join(',')}, expected ${want.join(',')}`)
          if (renamed && keep === 3) {
            for (const x of [2, 3]) {
              const snap = attempt(problems, `at(${x})`, () => ro.at(x))
              if (snap !== undefined) {
                const got = entriesOf(snap)
                snap.close()
                if (!sameEntries(got, expectedAt(x))) problems.push(`at(${x}) after a kept-history compaction: ${describeDiff(got, expectedAt(x))}`)
              }
            }
            const old = codeOf(() => ro.at(1).close())
            if (old !== 'DBDB_NO_SUCH_COMMIT') problems.push(`at(1) after compact({ keepHistory: 3 }) gave ${old ?? 'a view'}`)
          }
          ro.close()
        }
      } else {
        // A writer commits (small commits, fsync each) while another process
        // compacts; it is killed at a seeded instant in the later part of the
        // compaction, when the compaction catches up with its commits (or just after).
        const delay = compactMs(1) * (0.3 + rand() * 0.8)
        facts.delayMs = Math.round(delay * 100) / 100
        const writer = spawnWorker('writer.mjs', [file, 'small'])
        workers.push(writer)
        await writer.waitForLine((l) => l.startsWith('acked '))
        const compactor = spawnWorker('compactor.mjs', [file, '1'])
        workers.push(compactor)
        await compactor.waitForLine((l) => l === 'compacting')
        const ackedAtStart = linesStarting(writer, 'acked ').length
        await sleep(delay)
        const compactedFirst = compactor.lines.some((l) => l.startsWith('compacted '))
        writer.kill()
        const [wexit, cexit] = await Promise.all([writer.exited, compactor.exited])
        const acks = linesStarting(writer, 'acked ').map((l) => Number(l.split(' ')[1]))
        const lastAcked = acks.at(-1) ?? BASE_TXID
        const compacted = /^compacted (\d+) (\d+) (\d+) (\d+)$/m.exec(cexit.stdout)
        const compactedTxid = compacted === null ? undefined : Number(compacted[3])
        Object.assign(facts, { acks: acks.length, lastAcked, compactedTxid, writerExit: wexit.signal ?? wexit.code })
        if (wexit.signal !== 'SIGKILL') problems.push(`the writer was not killed: ${wexit.code} ${wexit.stderr.trim().slice(0, 2000)}`)
        if (cexit.code !== 0 || compactedTxid === undefined) problems.push(`the compactor process failed (a writer was committing, then killed): ${cexit.code ?? cexit.signal} ${cexit.stderr.trim().slice(0, 2000)}`)
        acks.forEach((a, i) => {
          if (a !== BASE_TXID + 1 + i) problems.push(`the writer acked ${acks.slice(0, 20).join(',')}...: not one txid after another across the compaction`)
        })
        if (compactedTxid !== undefined && compactedTxid > lastAcked + 1) problems.push(`compacted txid ${compactedTxid} is past the writer's last commit`)
        renamed = statSync(file).ino !== ino0
        if (compactedTxid !== undefined && !renamed) problems.push('the compaction succeeded but the file was not replaced')
        if (existsSync(`${file}.compacting`)) problems.push('the finished compaction left NAME.compacting behind')
        const strays = readdirSync(dir).filter((n) => n !== DB_NAME && !STRAY.test(n))
        if (strays.length > 0) problems.push(`unexpected files ${strays.join(', ')}`)

        const ro = attempt(problems, 'read-only open', () => track(open(file, { readOnly: true })))
        if (ro !== undefined) {
          txid = ro.txid
          facts.txid = txid
          if (txid < lastAcked) problems.push(`acked commit ${lastAcked} lost: the file is at ${txid}`)
          if (txid > lastAcked + 1) problems.push(`the file is at ${txid}, past the commit in flight (${lastAcked + 1})`)
          const got = entriesOf(ro)
          if (!sameEntries(got, expectedAt(txid))) problems.push(`content differs from commit ${txid}: ${describeDiff(got, expectedAt(txid))}`)
          const rep = ro.check()
          if (!rep.ok) problems.push(`check() not ok: ${rep.problems.join('; ')}`)
          const hist = historyOf(ro, problems, 'read-only')
          if (hist !== undefined) {
            if (hist[0] !== txid) problems.push(`history starts at ${hist[0]}, the head is ${txid}`)
            if (compactedTxid !== undefined && hist.at(-1)! > compactedTxid) problems.push(`history ${hist.slice(-5).join(',')} lacks the compacted commit ${compactedTxid}`)
            const oldest = hist.at(-1)!
            const older = oldest > 1 ? codeOf(() => ro.at(oldest - 1).close()) : 'DBDB_NO_SUCH_COMMIT'
            if (older !== 'DBDB_NO_SUCH_COMMIT') problems.push(`at(${oldest - 1}), before the compacted file's first commit, gave ${older ?? 'a view'}`)
          }
          ro.close()
        }
        outcome = `writer:${compactedFirst ? 'killed-after-compaction' : 'killed-during-compaction'}:${txid === lastAcked ? 'last-acked' : 'in-flight-kept'}${compactedTxid !== undefined && compactedTxid > BASE_TXID + ackedAtStart ? '+caught-up' : ''}`
      }

      // The next read-write open removes the leftover; a commit and a second compaction follow.
      const db = attempt(problems, 'read-write open', () => track(open(file)))
      if (db !== undefined) {
        if (existsSync(`${file}.compacting`)) problems.push('NAME.compacting is still there after a read-write open')
        attempt(problems, 'the next commit', () => {
          applyCommit(db, txid + 1, 'small')
          const info = db.commit()
          if (info?.txid !== txid + 1) problems.push(`the next commit got ${JSON.stringify(info)}, expected txid ${txid + 1}`)
        })
        const info = attempt(problems, 'the second compaction', () => db.compact())
        if (info !== undefined) {
          if (info.txid !== txid + 1) problems.push(`the second compaction reached txid ${info.txid}, expected ${txid + 1}`)
          const got = entriesOf(db)
          if (!sameEntries(got, expectedAt(txid + 1))) problems.push(`after the second compaction: ${describeDiff(got, expectedAt(txid + 1))}`)
          const rep = db.check()
          if (!rep.ok) problems.push(`check() after the second compaction: ${rep.problems.join('; ')}`)
          const hist = historyOf(db, problems, 'after the second compaction')
          if (hist !== undefined && hist.join() !== String(txid + 1)) problems.push(`history after the second compaction: ${hist.join(',')}`)
          if (existsSync(`${file}.compacting`)) problems.push('the second compaction left NAME.compacting behind')
        }
        db.close()
      }
      return done(outcome)
    } catch (err) {
      return { outcome: 'error', failure: `${(err as Error).stack} ${JSON.stringify(facts)}` }
    } finally {
      for (const w of workers) w.kill()
      await Promise.all(workers.map((w) => w.exited))
      removeDir(dir)
    }
  }

  it(
    `leaves the database as it was (or compacted), removes the leftover at the next open, and compacts again; also with a writer killed during the catch-up (${TRIALS} trials)`,
    async () => {
      const seed = testSeed('compaction kill')
      const outcomes: Record<string, number> = {}
      const failures: string[] = []
      const trials = trialNumbers(TRIALS)
      for (const t of trials) {
        const r = await killTrial(seed, t)
        tally(outcomes, r.outcome)
        if (r.failure !== undefined) {
          failures.push(`trial ${t} (${killKindOf(t)}; replay: DBDB_SEED=${seed} DBDB_ONLY_TRIAL=${t}): ${r.failure}`)
          console.error(failures[failures.length - 1])
        }
      }
      report({ test: 'compaction-kill', seed, trials: trials.length, failed: failures.length, outcomes })
      expect(failures.slice(0, 10), `${failures.length} of ${trials.length} trials failed`).toEqual([])
    },
    timeoutFor(TRIALS, 4_000),
  )
})

// ---------------------------------------------------------------------------
// 3. Snapshots, at() and a handle in another process across compactions
// ---------------------------------------------------------------------------

const MODEL_KEYS = 30
const BULK_KEYS = 5000

/** A session.mjs process: a database handle in another process, one command at a time. */
class Session {
  readonly worker: Worker
  readonly #dir: string
  #n = 0

  constructor(file: string, dir: string) {
    this.#dir = dir
    mkdirSync(dir)
    this.worker = spawnWorker('session.mjs', [file, dir])
  }

  async call(op: string, args: Record<string, unknown> = {}): Promise<any> {
    const n = this.#n++
    const tmp = join(this.#dir, `cmd-${n}.tmp`)
    writeFileSync(tmp, JSON.stringify({ op, ...args }))
    renameSync(tmp, join(this.#dir, `cmd-${n}.json`))
    const l = await this.worker.waitForLine((x) => x.startsWith(`result ${n} `))
    if (l === undefined) {
      const exit = await this.worker.exited
      throw new Error(`the session process died during ${op}: ${exit.code ?? exit.signal} ${exit.stderr}`)
    }
    return JSON.parse(l.slice(`result ${n} `.length))
  }
}

async function snapshotsRound(seed: number, t: number): Promise<{ stats: Record<string, number>; problems: string[] }> {
  const rand = prng(trialSeed(seed, t))
  const dir = makeTempDir('compaction-snapshots')
  const file = join(dir, 'snap.db')
  const go = join(dir, 'go')
  const pause = join(dir, 'pause')
  const stop = join(dir, 'stop')
  const problems: string[] = []
  const stats: Record<string, number> = { rounds: 1 }
  const p = (msg: string): void => {
    problems.push(msg)
  }
  const prefixed = (): string[] => problems.map((x) => `snapshots round ${t} (replay: DBDB_SEED=${seed} DBDB_ONLY_TRIAL=${t}): ${x}`)
  const a = track(open(file, { lockTimeoutMs: 30_000 }))
  /** The m: and s: keys, written only by this process and the session. */
  const model = new Map<string, unknown>()
  const commitTxids: number[] = []
  let step = 0
  const commitA = (): void => {
    step++
    const ops = 1 + Math.floor(rand() * 4)
    for (let i = 0; i < ops; i++) {
      const key = `m:${String(Math.floor(rand() * MODEL_KEYS)).padStart(2, '0')}`
      if (rand() < 0.2) {
        a.delete(key)
        model.delete(key)
      } else {
        const value = { step, pad: 'm'.repeat(Math.floor(rand() * 300)) }
        a.set(key, value)
        model.set(key, value)
      }
    }
    a.set('m:step', step)
    model.set('m:step', step)
    const info = a.commit()
    if (info !== undefined) commitTxids.push(info.txid)
  }
  const modelEntries = (): Entry[] => [...model].sort(byKey)
  const mine = (entries: Entry[]): Entry[] => entries.filter(([k]) => k.startsWith('m:') || k.startsWith('s:'))
  /** A fresh handle in this process sees the model. */
  const freshSees = (where: string): void => {
    const f = track(open(file, { readOnly: true }))
    const got = mine(entriesOf(f))
    if (!sameEntries(got, modelEntries())) p(`${where}: a fresh handle reads ${describeDiff(got, modelEntries())}`)
    f.close()
  }
  const sameAsModel = (where: string, entries: Entry[]): void => {
    const got = mine(entries)
    if (!sameEntries(got, modelEntries())) p(`${where}: ${describeDiff(got, modelEntries())}`)
  }
  /**
   * Views (at()) of the newest commits in the history, at most 12: cheap to take just
   * before a compaction, read after it (a view keeps its data, see checkSnapshots).
   */
  const record = (where: string): Map<number, ReturnType<Database['at']>> => {
    const out = new Map<number, ReturnType<Database['at']>>()
    const hist = historyOf(a, problems, where) ?? []
    for (const x of hist.slice(0, 12)) {
      const view = attempt(problems, `${where}: at(${x})`, () => a.at(x))
      if (view !== undefined) out.set(x, view)
    }
    return out
  }
  /**
   * After a compaction: every commit recorded before it reads the same through at(),
   * or is gone (DBDB_NO_SUCH_COMMIT) if history() does not list it; commits older
   * than the kept history are gone. Returns the oldest kept txid, if history() works.
   */
  const checkKept = (where: string, recorded: Map<number, ReturnType<Database['at']>>, exact?: number[]): number | undefined => {
    const hist = historyOf(a, problems, where)
    if (hist !== undefined && exact !== undefined && hist.join() !== exact.join()) p(`${where}: history ${hist.join(',')}, expected ${exact.join(',')}`)
    let matched = 0
    for (const [x, before] of recorded) {
      const want = attempt(problems, `${where}: reading at(${x}) taken before the compaction`, () => entriesOf(before))
      before.close()
      if (want === undefined) continue
      let snap: ReturnType<Database['at']> | undefined
      try {
        snap = a.at(x)
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code !== 'DBDB_NO_SUCH_COMMIT') p(`${where}: at(${x}) threw ${errText(err)}`)
        else if (hist?.includes(x)) p(`${where}: at(${x}) is DBDB_NO_SUCH_COMMIT, but history() lists it`)
        continue
      }
      const got = entriesOf(snap)
      snap.close()
      matched++
      if (!sameEntries(got, want)) p(`${where}: at(${x}) differs from before the compaction: ${describeDiff(got, want)}`)
      if (hist !== undefined && !hist.includes(x)) p(`${where}: at(${x}) gives a view, but history() does not list it: ${hist.join(',')}`)
    }
    stats['kept-commits-compared'] = (stats['kept-commits-compared'] ?? 0) + matched
    const oldest = hist?.at(-1)
    for (const x of oldest === undefined ? [1] : [oldest - 1, 1]) {
      if (x < 1 || (oldest !== undefined && x >= oldest)) continue
      const code = codeOf(() => a.at(x).close())
      if (code !== 'DBDB_NO_SUCH_COMMIT') p(`${where}: at(${x}), older than the kept history (oldest ${oldest ?? '?'}), gave ${code ?? 'a view'}`)
    }
    return oldest
  }
  const snaps: Array<{ name: string; snap: ReturnType<Database['snapshot']>; entries: Entry[] }> = []
  const checkSnapshots = (where: string): void => {
    for (const s of snaps) {
      const got = attempt(problems, `${where}: snapshot ${s.name}`, () => entriesOf(s.snap))
      if (got !== undefined && !sameEntries(got, s.entries)) p(`${where}: snapshot ${s.name} (txid ${s.snap.txid}) changed: ${describeDiff(got, s.entries)}`)
    }
  }

  let bg: Worker | undefined
  let session: Session | undefined
  try {
    // Bulk, so that a compaction takes long enough for the background writer to
    // commit several times meanwhile (the compaction then catches up with them).
    a.transaction(() => {
      for (let i = 0; i < BULK_KEYS; i++) a.set(`b:${String(i).padStart(5, '0')}`, `${i}:${'b'.repeat(200)}`)
    })
    commitTxids.push(a.txid)
    for (let i = 0; i < 20; i++) commitA()
    session = new Session(file, join(dir, 'session'))
    bg = spawnWorker('bg-writer.mjs', [file, go, pause, stop, String(trialSeed(seed + 7, t))])
    const ses = session
    const bgw = bg
    await Promise.all([ses.worker.waitForLine((l) => l.startsWith('opened ')), bgw.waitForLine((l) => l === 'ready')])
    writeFileSync(go, '')
    await bgw.waitForLine((l) => l.startsWith('acked '))
    const bgAcks = (): number => linesStarting(bgw, 'acked ').length
    const pauseBg = async (): Promise<void> => {
      const before = linesStarting(bgw, 'paused ').length
      writeFileSync(pause, '')
      await until(() => linesStarting(bgw, 'paused ').length > before || !bgw.running)
    }
    const resumeBg = (): void => rmSync(pause, { force: true })
    const sessionWrite = async (where: string, key: string): Promise<void> => {
      const del = [...model.keys()].filter((k) => k.startsWith('m:0'))[0]
      const r = await ses.call('write', { set: { [key]: { from: 'session', step } }, del: del === undefined ? [] : [del] })
      if (r.error !== undefined || typeof r.txid !== 'number') {
        p(`${where}: the session's write failed: ${JSON.stringify(r).slice(0, 1500)}`)
        return
      }
      model.set(key, { from: 'session', step })
      if (del !== undefined) model.delete(del)
      commitTxids.push(r.txid)
      if (a.get(key) === undefined) p(`${where}: this process does not see the session's write of ${key} (txid ${r.txid})`)
      if (a.txid < r.txid) p(`${where}: this process is at txid ${a.txid}, the session committed ${r.txid}`)
      freshSees(`${where}, after the session's write`)
    }
    const sessionReads = async (where: string): Promise<void> => {
      const r = await ses.call('entries')
      if (r.error !== undefined) p(`${where}: the session's entries() failed: ${JSON.stringify(r).slice(0, 1500)}`)
      else sameAsModel(`${where}: the session reads`, r.entries as Entry[])
      const pre = await ses.call('snapEntries', { name: 'pre' })
      if (pre.error !== undefined) p(`${where}: the session's snapshot failed: ${JSON.stringify(pre).slice(0, 1500)}`)
      else if (!sameEntries(pre.entries as Entry[], sessionPre.entries)) p(`${where}: the session's snapshot changed: ${describeDiff(pre.entries as Entry[], sessionPre.entries)}`)
    }

    // Phase 1: the background writer paused, so the kept history is exactly known.
    await pauseBg()
    const h1 = a.txid
    const rec1 = record('phase 1')
    const s1 = a.snapshot()
    snaps.push({ name: 's1', snap: s1, entries: entriesOf(s1) })
    const sessionPre = (await ses.call('snapshot', { name: 'pre' })) as { txid: number; entries: Entry[] }
    if (sessionPre.txid !== h1 || !sameEntries(sessionPre.entries, snaps[0]!.entries)) p(`phase 1: the session's snapshot is at ${sessionPre.txid}, this process's at ${h1}`)
    const info1 = attempt(problems, 'phase 1: compact({ keepHistory: 3 })', () => a.compact({ keepHistory: 3 }))
    if (info1 !== undefined && info1.txid !== h1) p(`phase 1: compacted txid ${info1.txid}, expected ${h1}`)
    checkKept('phase 1', rec1, [h1, h1 - 1, h1 - 2])
    checkSnapshots('phase 1')
    if (!a.check().ok) p(`phase 1: check() not ok: ${a.check().problems.join('; ')}`)
    // The session opened the database before the compaction: it follows it.
    const st = await ses.call('txid')
    if (st.txid !== h1) p(`phase 1: the session is at txid ${JSON.stringify(st)}, expected ${h1}`)
    await sessionReads('phase 1')
    const sh = await ses.call('history')
    if (sh.error !== undefined || (sh.txids as number[]).join() !== [h1, h1 - 1, h1 - 2].join()) p(`phase 1: the session's history() gave ${JSON.stringify(sh).slice(0, 500)}`)
    const sat = await ses.call('at', { txid: h1 - 1 })
    const at1 = attempt(problems, `phase 1: at(${h1 - 1})`, () => a.at(h1 - 1))
    const want1 = at1 === undefined ? [] : entriesOf(at1)
    at1?.close()
    if (sat.error !== undefined || !sameEntries(sat.entries as Entry[], want1)) p(`phase 1: the session's at(${h1 - 1}) gave ${JSON.stringify(sat).slice(0, 500)}`)
    await sessionWrite('phase 1', 's:1')
    resumeBg()

    // Phase 2: the same while the background writer commits.
    const bg2 = bgAcks()
    await until(() => bgAcks() >= bg2 + 2 || !bgw.running)
    for (let i = 0; i < 5; i++) commitA()
    sameAsModel('phase 2, before compacting', entriesOf(a))
    const s2 = a.snapshot()
    snaps.push({ name: 's2', snap: s2, entries: entriesOf(s2) })
    const rec2 = record('phase 2')
    const during2 = bgAcks()
    const info2 = attempt(problems, 'phase 2: compact({ keepHistory: 3 })', () => a.compact({ keepHistory: 3 }))
    await sleep(0) // let the background writer's lines from meanwhile arrive
    stats['bg-commits-during-compactions'] = (stats['bg-commits-during-compactions'] ?? 0) + bgAcks() - during2
    const oldest2 = checkKept('phase 2', rec2)
    checkSnapshots('phase 2')
    if (info2 !== undefined && a.txid < info2.txid) p(`phase 2: the handle is at ${a.txid} after compacting up to ${info2.txid}`)
    if (!a.check().ok) p(`phase 2: check() not ok: ${a.check().problems.join('; ')}`)
    sameAsModel('phase 2, after compacting', entriesOf(a))
    await sessionReads('phase 2')
    await sessionWrite('phase 2', 's:2')
    const bg2b = bgAcks()
    await until(() => bgAcks() >= bg2b + 2 || !bgw.running)

    // Phase 3: more commits, a plain compaction, and the views still read their data.
    for (let i = 0; i < 5; i++) commitA()
    const s3 = a.snapshot()
    snaps.push({ name: 's3', snap: s3, entries: entriesOf(s3) })
    const rec3 = record('phase 3')
    const during3 = bgAcks()
    const info3 = attempt(problems, 'phase 3: compact()', () => a.compact())
    await sleep(0)
    stats['bg-commits-during-compactions'] = (stats['bg-commits-during-compactions'] ?? 0) + bgAcks() - during3
    const oldest3 = checkKept('phase 3', rec3)
    if (oldest2 !== undefined && oldest3 !== undefined && info3 !== undefined) {
      const code = codeOf(() => a.at(oldest2).close())
      if (oldest2 < oldest3 && code !== 'DBDB_NO_SUCH_COMMIT') p(`phase 3: at(${oldest2}) (kept by the previous compaction only) gave ${code ?? 'a view'}`)
    }
    checkSnapshots('phase 3')
    for (let i = 0; i < 3; i++) commitA()
    checkSnapshots('phase 3, after more commits')
    await sessionReads('phase 3')
    await sessionWrite('phase 3', 's:3')

    // The end: the background writer's commits all landed; txids unique.
    writeFileSync(stop, '')
    const bexit = await bgw.exited
    if (bexit.code !== 0) p(`the background writer exited with ${bexit.code ?? bexit.signal}: ${bexit.stderr.trim().slice(0, 2000)}`)
    const bgCommits = Number(/^commits (\d+)$/m.exec(bexit.stdout)?.[1] ?? NaN)
    const bgTxids = linesStarting(bgw, 'acked ').map((l) => Number(l.split(' ')[1]))
    const allTxids = [...commitTxids, ...bgTxids]
    if (new Set(allTxids).size !== allTxids.length) p(`a txid was committed twice: ${allTxids.sort((x, y) => x - y).join(',').slice(0, 1000)}`)
    const final = track(open(file, { readOnly: true }))
    if (final.get('bg:count') !== bgCommits) p(`bg:count is ${final.get('bg:count')}, the background writer made ${bgCommits} commits`)
    if (final.txid !== Math.max(...allTxids)) p(`the file is at txid ${final.txid}, the last commit made was ${Math.max(...allTxids)}`)
    sameAsModel('the end', entriesOf(final))
    if (!final.check().ok) p(`check() at the end not ok: ${final.check().problems.join('; ')}`)
    final.close()
    checkSnapshots('the end')
    await sessionReads('the end')
    const closed = await ses.call('close')
    if (closed.error !== undefined) p(`the session's close failed: ${JSON.stringify(closed)}`)
    const sexit = await ses.worker.exited
    if (sexit.code !== 0) p(`the session exited with ${sexit.code ?? sexit.signal}: ${sexit.stderr.trim().slice(0, 2000)}`)
    for (const s of snaps) s.snap.close()
    Object.assign(stats, { 'bg-commits': bgCommits, 'commits-here-and-session': commitTxids.length })
    return { stats, problems: prefixed() }
  } catch (err) {
    p(`${(err as Error).stack}`)
    return { stats, problems: prefixed() }
  } finally {
    a.close()
    for (const w of [bg, session?.worker]) w?.kill()
    await Promise.all([bg, session?.worker].map((w) => w?.exited))
    removeDir(dir)
  }
}

describe('snapshots and at() across compactions', () => {
  it(
    `keep their data, kept commits read the same, dropped ones are DBDB_NO_SUCH_COMMIT, and a handle in another process follows (${SNAPSHOT_ROUNDS} round(s))`,
    async () => {
      const seed = testSeed('compaction snapshots')
      const outcomes: Record<string, number> = {}
      const problems: string[] = []
      let failed = 0
      const rounds = trialNumbers(SNAPSHOT_ROUNDS)
      for (const t of rounds) {
        const r = await snapshotsRound(seed, t)
        for (const [k, v] of Object.entries(r.stats)) outcomes[k] = (outcomes[k] ?? 0) + v
        if (r.problems.length > 0) failed++
        for (const x of r.problems) console.error(x)
        problems.push(...r.problems)
      }
      report({ test: 'compaction-snapshots', seed, trials: rounds.length, failed, outcomes })
      expect(problems.slice(0, 10), `${problems.length} problems`).toEqual([])
    },
    timeoutFor(SNAPSHOT_ROUNDS, 60_000),
  )
})
