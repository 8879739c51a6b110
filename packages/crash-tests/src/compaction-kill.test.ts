// SIGKILL during online compaction (see compaction.fixture.ts for the counts):
//
// 2. kills: a database of 20,000 keys written 4 times is compacted by a child
//    (workers/compactor.mjs) that is SIGKILLed at a seeded instant; the database must
//    open with exactly its data, lose the NAME.compacting leftover at the next
//    read-write open, take a commit and compact again. Some trials instead kill a
//    writer (workers/writer.mjs) while the compaction catches up with it.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { open } from '@dbdb/dbdb'
import { prng, testSeed } from '@dbdb/logical/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyCommit, BIG_KEYS, bigKey, expectedEntries } from '../workers/workload.mjs'
import {
  attempt,
  byKey,
  describeDiff,
  type Entry,
  entriesOf,
  historyOf,
  linesStarting,
  sameEntries,
  TRIALS,
  useCleanup,
} from './compaction.fixture.js'
import {
  codeOf,
  makeTempDir,
  removeDir,
  report,
  sleep,
  spawnWorker,
  tally,
  timeoutFor,
  trialNumbers,
  trialSeed,
  type Worker,
} from './harness.js'

const track = useCleanup()

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
      problems.length === 0
        ? { outcome }
        : { outcome: 'error', failure: `${problems.slice(0, 5).join('\n  ')}\n  facts: ${JSON.stringify(facts)}` }
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
        if (exit.signal !== 'SIGKILL' && exit.code !== 0)
          problems.push(`the compactor failed: ${exit.code} ${exit.stderr.trim().slice(0, 2000)}`)
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
          if (!sameEntries(got, expectedAt(BASE_TXID)))
            problems.push(`read-only: content differs: ${describeDiff(got, expectedAt(BASE_TXID))}`)
          const rep = ro.check()
          if (!rep.ok) problems.push(`read-only check() not ok: ${rep.problems.join('; ')}`)
          const hist = historyOf(ro, problems, 'read-only')
          const want = !renamed || keep === 3 ? [4, 3, 2, 1].slice(0, renamed ? 3 : 4) : [4]
          if (hist !== undefined && hist.join() !== want.join())
            problems.push(`read-only history ${hist.join(',')}, expected ${want.join(',')}`)
          if (renamed && keep === 3) {
            for (const x of [2, 3]) {
              const snap = attempt(problems, `at(${x})`, () => ro.at(x))
              if (snap !== undefined) {
                const got = entriesOf(snap)
                snap.close()
                if (!sameEntries(got, expectedAt(x)))
                  problems.push(`at(${x}) after a kept-history compaction: ${describeDiff(got, expectedAt(x))}`)
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
        if (cexit.code !== 0 || compactedTxid === undefined)
          problems.push(
            `the compactor process failed (a writer was committing, then killed): ${cexit.code ?? cexit.signal} ${cexit.stderr.trim().slice(0, 2000)}`,
          )
        acks.forEach((a, i) => {
          if (a !== BASE_TXID + 1 + i)
            problems.push(`the writer acked ${acks.slice(0, 20).join(',')}...: not one txid after another across the compaction`)
        })
        if (compactedTxid !== undefined && compactedTxid > lastAcked + 1)
          problems.push(`compacted txid ${compactedTxid} is past the writer's last commit`)
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
          if (!sameEntries(got, expectedAt(txid)))
            problems.push(`content differs from commit ${txid}: ${describeDiff(got, expectedAt(txid))}`)
          const rep = ro.check()
          if (!rep.ok) problems.push(`check() not ok: ${rep.problems.join('; ')}`)
          const hist = historyOf(ro, problems, 'read-only')
          if (hist !== undefined) {
            if (hist[0] !== txid) problems.push(`history starts at ${hist[0]}, the head is ${txid}`)
            if (compactedTxid !== undefined && hist.at(-1)! > compactedTxid)
              problems.push(`history ${hist.slice(-5).join(',')} lacks the compacted commit ${compactedTxid}`)
            const oldest = hist.at(-1)!
            const older = oldest > 1 ? codeOf(() => ro.at(oldest - 1).close()) : 'DBDB_NO_SUCH_COMMIT'
            if (older !== 'DBDB_NO_SUCH_COMMIT')
              problems.push(`at(${oldest - 1}), before the compacted file's first commit, gave ${older ?? 'a view'}`)
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
          if (!sameEntries(got, expectedAt(txid + 1)))
            problems.push(`after the second compaction: ${describeDiff(got, expectedAt(txid + 1))}`)
          const rep = db.check()
          if (!rep.ok) problems.push(`check() after the second compaction: ${rep.problems.join('; ')}`)
          const hist = historyOf(db, problems, 'after the second compaction')
          if (hist !== undefined && hist.join() !== String(txid + 1))
            problems.push(`history after the second compaction: ${hist.join(',')}`)
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
