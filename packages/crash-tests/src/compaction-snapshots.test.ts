// Snapshots, at() and a handle in another process across online compactions (see
// compaction.fixture.ts for the counts):
//
// 3. snapshots: snapshots and at() views across commits and compactions, with a
//    background writer process (workers/bg-writer.mjs) and a handle in another process
//    (workers/session.mjs) that opened the database before the compactions.

import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Database, open } from '@dbdb/dbdb'
import { prng, testSeed } from '@dbdb/logical/testing'
import { describe, expect, it } from 'vitest'
import {
  attempt,
  byKey,
  describeDiff,
  type Entry,
  entriesOf,
  errText,
  historyOf,
  linesStarting,
  type Round,
  runRounds,
  SNAPSHOT_ROUNDS,
  sameEntries,
  until,
  useCleanup,
} from './compaction.fixture.js'
import { codeOf, makeTempDir, removeDir, Session, sleep, spawnWorker, timeoutFor, trialSeed, type Worker } from './harness.js'

const track = useCleanup()

const MODEL_KEYS = 30
const BULK_KEYS = 5000

async function snapshotsRound(seed: number, t: number): Promise<Round> {
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
    if (hist !== undefined && exact !== undefined && hist.join() !== exact.join())
      p(`${where}: history ${hist.join(',')}, expected ${exact.join(',')}`)
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
      if (code !== 'DBDB_NO_SUCH_COMMIT')
        p(`${where}: at(${x}), older than the kept history (oldest ${oldest ?? '?'}), gave ${code ?? 'a view'}`)
    }
    return oldest
  }
  const snaps: Array<{ name: string; snap: ReturnType<Database['snapshot']>; entries: Entry[] }> = []
  const checkSnapshots = (where: string): void => {
    for (const s of snaps) {
      const got = attempt(problems, `${where}: snapshot ${s.name}`, () => entriesOf(s.snap))
      if (got !== undefined && !sameEntries(got, s.entries))
        p(`${where}: snapshot ${s.name} (txid ${s.snap.txid}) changed: ${describeDiff(got, s.entries)}`)
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
      else if (!sameEntries(pre.entries as Entry[], sessionPre.entries))
        p(`${where}: the session's snapshot changed: ${describeDiff(pre.entries as Entry[], sessionPre.entries)}`)
    }

    // Phase 1: the background writer paused, so the kept history is exactly known.
    await pauseBg()
    const h1 = a.txid
    const rec1 = record('phase 1')
    const s1 = a.snapshot()
    snaps.push({ name: 's1', snap: s1, entries: entriesOf(s1) })
    const sessionPre = (await ses.call('snapshot', { name: 'pre' })) as { txid: number; entries: Entry[] }
    if (sessionPre.txid !== h1 || !sameEntries(sessionPre.entries, snaps[0]!.entries))
      p(`phase 1: the session's snapshot is at ${sessionPre.txid}, this process's at ${h1}`)
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
    if (sh.error !== undefined || (sh.txids as number[]).join() !== [h1, h1 - 1, h1 - 2].join())
      p(`phase 1: the session's history() gave ${JSON.stringify(sh).slice(0, 500)}`)
    const sat = await ses.call('at', { txid: h1 - 1 })
    const at1 = attempt(problems, `phase 1: at(${h1 - 1})`, () => a.at(h1 - 1))
    const want1 = at1 === undefined ? [] : entriesOf(at1)
    at1?.close()
    if (sat.error !== undefined || !sameEntries(sat.entries as Entry[], want1))
      p(`phase 1: the session's at(${h1 - 1}) gave ${JSON.stringify(sat).slice(0, 500)}`)
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
      if (oldest2 < oldest3 && code !== 'DBDB_NO_SUCH_COMMIT')
        p(`phase 3: at(${oldest2}) (kept by the previous compaction only) gave ${code ?? 'a view'}`)
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
    if (new Set(allTxids).size !== allTxids.length)
      p(
        `a txid was committed twice: ${allTxids
          .sort((x, y) => x - y)
          .join(',')
          .slice(0, 1000)}`,
      )
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
      const problems = await runRounds('compaction-snapshots', testSeed('compaction snapshots'), SNAPSHOT_ROUNDS, snapshotsRound)
      expect(problems.slice(0, 10), `${problems.length} problems`).toEqual([])
    },
    timeoutFor(SNAPSHOT_ROUNDS, 60_000),
  )
})
