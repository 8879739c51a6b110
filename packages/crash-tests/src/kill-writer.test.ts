// A writer process SIGKILLed at a random instant leaves a file that opens to exactly
// some committed state, never an error, and never loses an acknowledged commit; and
// the next writer can commit on top. See workers/writer.mjs and workers/workload.mjs.
//
// Trial kinds (by trial number, so every run has each kind; delays are seeded):
//   create  killed 0-6 ms after "opening": often during the very first open, which
//           creates the file; the file must then be missing or open as the empty
//           database (and at most a stray *.creating temp file may be left).
//   early   killed 0-4 ms after "opened": before or during the first commit.
//   big     every commit also rewrites 20,000 keys (~20 MB); killed 0-600 ms after
//           "opened", so the kill often lands while a commit is being built or written.
//   small   killed 5-150 ms after the first "acked".
// Outcomes tallied: where the reopened file stood (no-file, empty, last-acked,
// in-flight-kept: the unacknowledged commit in flight had completed), and
// "+torn-tail" when the file held bytes of an unfinished transaction past the last
// acked commit (the kill landed mid-write).

import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { type Database, open } from '@dbdb/dbdb'
import { prng, testSeed } from '@dbdb/logical/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { applyCommit, expectedEntries, type Mode } from '../workers/workload.mjs'
import {
  killAll,
  makeTempDir,
  removeDir,
  report,
  sleep,
  spawnWorker,
  tally,
  timeoutFor,
  trialCount,
  trialNumbers,
  trialSeed,
} from './harness.js'

type Kind = 'create' | 'early' | 'big' | 'small'

const TRIALS = trialCount('kill-writer', 30, 1000)
const DB_NAME = 'crash.db'

let root: string
beforeAll(() => {
  root = makeTempDir('kill-writer')
})
afterEach(killAll)
afterAll(() => removeDir(root))

function kindOf(t: number): Kind {
  const r = t % 10
  return r === 0 ? 'create' : r === 1 ? 'early' : r === 2 ? 'big' : 'small'
}

interface TrialResult {
  outcome: string
  failure?: string
}

async function trial(seed: number, t: number): Promise<TrialResult> {
  const rand = prng(trialSeed(seed, t))
  const kind = kindOf(t)
  const mode: Mode = kind === 'big' ? 'big' : 'small'
  const delay = kind === 'create' ? rand() * 6 : kind === 'early' ? rand() * 4 : kind === 'big' ? rand() * 600 : 5 + rand() * 145
  const dir = join(root, `trial-${t}`)
  mkdirSync(dir)
  const file = join(dir, DB_NAME)
  const facts: Record<string, unknown> = { trial: t, kind, delayMs: Math.round(delay * 100) / 100 }
  const worker = spawnWorker('writer.mjs', [file, mode])
  try {
    const trigger = kind === 'create' ? 'opening' : kind === 'early' || kind === 'big' ? 'opened' : 'acked'
    await worker.waitForLine((l) => l.startsWith(trigger))
    await sleep(delay)
    worker.kill()
    const exit = await worker.exited
    const ackLines = worker.lines.filter((l) => l.startsWith('acked ')).map((l) => l.split(' ').map(Number))
    const acks = ackLines.map((a) => a[1]!)
    const lastAcked = acks.length > 0 ? acks[acks.length - 1]! : 0
    const openedLine = worker.lines.find((l) => l.startsWith('opened '))
    const opened = openedLine !== undefined
    // The file's size when the writer last reported: more bytes at the kill means the
    // kill landed after part of an unfinished transaction reached the file.
    const reportedSize = ackLines.length > 0 ? ackLines[ackLines.length - 1]![2]! : opened ? Number(openedLine.split(' ')[2]) : undefined
    Object.assign(facts, { acks: acks.length, lastAcked, opened, signal: exit.signal, code: exit.code })
    if (exit.signal !== 'SIGKILL') {
      return { outcome: 'error', failure: `the writer was not killed but exited by itself: ${JSON.stringify(facts)}\n${exit.stderr}` }
    }
    for (let i = 0; i < acks.length; i++) {
      if (acks[i] !== i + 1) return { outcome: 'error', failure: `the writer acked ${acks.join(',')}: ${JSON.stringify(facts)}` }
    }

    // Besides the database, a crash may leave only a stray temporary file of its creation.
    const strays = readdirSync(dir).filter((n) => n !== DB_NAME && !/^\.crash\.db\.\d+\.[0-9a-f]+\.creating$/.test(n))
    if (strays.length > 0) return { outcome: 'error', failure: `unexpected files ${strays.join(', ')}: ${JSON.stringify(facts)}` }

    let txid = 0
    let outcome: string
    if (!existsSync(file)) {
      if (opened || acks.length > 0)
        return { outcome: 'error', failure: `the file is missing after open() returned: ${JSON.stringify(facts)}` }
      outcome = `${kind}:no-file`
    } else {
      const size = statSync(file).size
      const tail = reportedSize !== undefined && size > reportedSize
      facts.sizes = { reported: reportedSize, atKill: size }
      // Read-only first: recovery must not need to write to find the last commit.
      const check = (what: string, readOnly: boolean): string | undefined => {
        let db: Database<string, unknown>
        try {
          db = open(file, { readOnly })
        } catch (err) {
          return `${what} open failed: ${(err as Error).message} (${(err as { code?: string }).code}): ${JSON.stringify(facts)}`
        }
        try {
          txid = db.txid
          facts.txid = txid
          if (txid < lastAcked) return `${what}: acked commit ${lastAcked} lost, the file is at ${txid}: ${JSON.stringify(facts)}`
          if (txid > lastAcked + 1)
            return `${what}: the file is at ${txid}, past the commit in flight (${lastAcked + 1}): ${JSON.stringify(facts)}`
          const entries = [...db.entries()]
          const expected = expectedEntries(txid, mode)
          if (!sameEntries(entries, expected))
            return `${what}: content differs from commit ${txid}: ${describeDiff(entries, expected)}: ${JSON.stringify(facts)}`
          if (db.size !== expected.length) return `${what}: size ${db.size}, expected ${expected.length}: ${JSON.stringify(facts)}`
          return undefined
        } catch (err) {
          return `${what} read failed: ${(err as Error).stack}: ${JSON.stringify(facts)}`
        } finally {
          db.close()
        }
      }
      const bad = check('read-only', true) ?? check('read-write', false)
      if (bad !== undefined) return { outcome: 'error', failure: bad }
      outcome = txid === 0 ? `${kind}:empty` : txid === lastAcked ? `${kind}:last-acked` : `${kind}:in-flight-kept`
      if (tail && txid === lastAcked) outcome += '+torn-tail'
    }

    // A new writer commits on top, and the history has no gap.
    try {
      const db = open(file)
      try {
        applyCommit(db, txid + 1, mode)
        const info = db.commit()
        if (info?.txid !== txid + 1)
          return {
            outcome: 'error',
            failure: `the next commit got ${JSON.stringify(info)}, expected txid ${txid + 1}: ${JSON.stringify(facts)}`,
          }
      } finally {
        db.close()
      }
      const again = open(file, { readOnly: true })
      try {
        const entries = [...again.entries()]
        if (!sameEntries(entries, expectedEntries(txid + 1, mode))) {
          return {
            outcome: 'error',
            failure: `after the next commit: ${describeDiff(entries, expectedEntries(txid + 1, mode))}: ${JSON.stringify(facts)}`,
          }
        }
        const history = again.history().map((h) => h.txid)
        const want = Array.from({ length: txid + 1 }, (_, i) => txid + 1 - i)
        if (history.join() !== want.join())
          return { outcome: 'error', failure: `history ${history.join(',')} after the next commit: ${JSON.stringify(facts)}` }
      } finally {
        again.close()
      }
    } catch (err) {
      return {
        outcome: 'error',
        failure: `the next writer failed: ${(err as Error).stack} (${(err as { code?: string }).code}): ${JSON.stringify(facts)}`,
      }
    }
    return { outcome }
  } finally {
    worker.kill()
    await worker.exited
    removeDir(dir)
  }
}

function sameEntries(got: Array<[string, unknown]>, want: Array<[string, unknown]>): boolean {
  if (got.length !== want.length) return false
  for (let i = 0; i < got.length; i++) {
    if (got[i]![0] !== want[i]![0] || got[i]![1] !== want[i]![1]) return false
  }
  return true
}

function describeDiff(got: Array<[string, unknown]>, want: Array<[string, unknown]>): string {
  let i = 0
  while (i < got.length && i < want.length && got[i]![0] === want[i]![0] && got[i]![1] === want[i]![1]) i++
  const show = (e: [string, unknown] | undefined): string => (e === undefined ? 'end' : JSON.stringify(e).slice(0, 60))
  return `${got.length} entries, expected ${want.length}; first difference at #${i}: got ${show(got[i])}, expected ${show(want[i])}`
}

describe('a writer killed at a random instant', () => {
  it(
    `reopens to exactly its last acked commit or the one in flight, and takes the next commit (${TRIALS} trials)`,
    async () => {
      const seed = testSeed('kill-writer')
      const outcomes: Record<string, number> = {}
      const failures: string[] = []
      const trials = trialNumbers(TRIALS)
      for (const t of trials) {
        const r = await trial(seed, t)
        tally(outcomes, r.outcome)
        if (r.failure !== undefined) {
          failures.push(`trial ${t} (replay: DBDB_SEED=${seed} DBDB_ONLY_TRIAL=${t}): ${r.failure}`)
          console.error(failures[failures.length - 1])
        }
      }
      report({ test: 'kill-writer', seed, trials: trials.length, failed: failures.length, outcomes })
      expect(failures.slice(0, 10), `${failures.length} of ${trials.length} trials failed`).toEqual([])
    },
    timeoutFor(TRIALS, 2_000),
  )
})
