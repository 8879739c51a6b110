// What the compaction crash tests share (compaction-writers, compaction-kill and
// compaction-snapshots.test.ts): online compaction (docs/ARCHITECTURE.md, "Compaction
// protocol") with real processes and real files.
//
// Counts: DBDB_TRIALS_COMPACTION (kill trials; 10 quick, 200 under DBDB_STRESS) also
// sets the rounds of the other two (one writers round per 20 kill trials, one
// snapshots round per 40, at least 1), unless DBDB_TRIALS_COMPACTION_WRITERS or
// DBDB_TRIALS_COMPACTION_SNAPSHOTS say otherwise.

import type { Database } from '@dbdb/dbdb'
import { afterEach } from 'vitest'
import { killAll, report, sleep, trialCount, trialNumbers, type Worker } from './harness.js'

export const TRIALS = trialCount('compaction', 10, 200)

function countFrom(variable: string, fallback: number): number {
  const v = process.env[variable]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`${variable} must be a positive integer, got ${v}`)
  return n
}
export const WRITER_ROUNDS = countFrom('DBDB_TRIALS_COMPACTION_WRITERS', Math.max(1, Math.round(TRIALS / 20)))
export const SNAPSHOT_ROUNDS = countFrom('DBDB_TRIALS_COMPACTION_SNAPSHOTS', Math.max(1, Math.round(TRIALS / 40)))

export type Entry = [string, unknown]

export const byKey = (a: Entry, b: Entry): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

/** Deep equality of two entry lists (values are JSON data). */
export function sameEntries(got: readonly Entry[], want: readonly Entry[]): boolean {
  if (got.length !== want.length) return false
  for (let i = 0; i < got.length; i++) {
    if (got[i]![0] !== want[i]![0] || JSON.stringify(got[i]![1]) !== JSON.stringify(want[i]![1])) return false
  }
  return true
}

export function describeDiff(got: readonly Entry[], want: readonly Entry[]): string {
  let i = 0
  while (i < got.length && i < want.length && got[i]![0] === want[i]![0] && JSON.stringify(got[i]![1]) === JSON.stringify(want[i]![1])) i++
  const show = (e: Entry | undefined): string => (e === undefined ? 'end' : JSON.stringify(e).slice(0, 80))
  return `${got.length} entries, expected ${want.length}; first difference at #${i}: got ${show(got[i])}, expected ${show(want[i])}`
}

export function errText(err: unknown): string {
  return `${(err as { code?: string }).code ?? ''} ${(err as Error)?.message ?? String(err)}`.trim()
}

/** Runs `fn`; an exception becomes a problem (and undefined), so one bug does not hide the checks after it. */
export function attempt<T>(problems: string[], what: string, fn: () => T): T | undefined {
  try {
    return fn()
  } catch (err) {
    problems.push(`${what} threw ${errText(err)}`)
    return undefined
  }
}

/** All [key, value] pairs of a view, in key order. */
export function entriesOf(view: { entries(): IterableIterator<[string, unknown]> }): Entry[] {
  return [...view.entries()]
}

/** Polls until `cond` holds (no assertion depends on how long that takes). */
export async function until(cond: () => boolean, everyMs = 2): Promise<void> {
  while (!cond()) await sleep(everyMs)
}

export function linesStarting(w: Worker, prefix: string): string[] {
  return w.lines.filter((l) => l.startsWith(prefix))
}

/** The txids of `history()`, or a problem. */
export function historyOf(db: Database, problems: string[], where: string): number[] | undefined {
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

/**
 * After each test of the calling file, closes the handles given to the returned
 * `track` and kills every worker still running. Call it at the top of a test file.
 */
export function useCleanup(): <T extends { close(): void }>(h: T) => T {
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
  return (h) => {
    openHandles.push(h)
    return h
  }
}

/** What one round of a rounds test found: outcome counts to sum, and its problems (each says how to replay it). */
export interface Round {
  stats: Record<string, number>
  problems: string[]
}

/** Runs the rounds (or DBDB_ONLY_TRIAL's), prints their problems, reports the summed stats as `test`; returns every problem. */
export async function runRounds(
  test: string,
  seed: number,
  count: number,
  round: (seed: number, t: number) => Promise<Round>,
): Promise<string[]> {
  const outcomes: Record<string, number> = {}
  const problems: string[] = []
  const rounds = trialNumbers(count)
  let failed = 0
  for (const t of rounds) {
    const r = await round(seed, t)
    for (const [k, v] of Object.entries(r.stats)) outcomes[k] = (outcomes[k] ?? 0) + v
    if (r.problems.length > 0) failed++
    for (const x of r.problems) console.error(x)
    problems.push(...r.problems)
  }
  report({ test, seed, trials: rounds.length, failed, outcomes })
  return problems
}
