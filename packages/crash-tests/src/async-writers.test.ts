// A process running 16 concurrent async writers (transactionAsync of three keys each,
// group-committed) is SIGKILLed at a seeded instant. After reopening: every
// transaction whose promise resolved is there, every transaction is whole or absent,
// and none is there without every earlier transaction of the same writer (a writer's
// next transaction is only called after its previous one resolved). Then the next
// writer can commit on top. See workers/async-writers.mjs.
//
// Kill delays: half 0-40 ms after "opened" (the first groups, the file growing), half
// 40-400 ms (steady state, groups of up to 16 transactions).

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { open } from '@dbdb/dbdb'
import { prng, testSeed } from '@dbdb/logical/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
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

const TRIALS = trialCount('async-writers', 10, 200)
const WRITERS = 16

let root: string
beforeAll(() => {
  root = makeTempDir('async-writers')
})
afterEach(killAll)
afterAll(() => removeDir(root))

/** What is wrong with the reopened database, given each writer's last acknowledged transaction. */
function check(file: string, acked: number[]): { problem?: string; kept: number; unacked: number } {
  const db = open(file)
  try {
    let kept = 0
    let unacked = 0
    let writing = 0
    for (let w = 0; w < WRITERS; w++) {
      const last = (db.get(`w${w}:last`) as number | undefined) ?? 0
      if (last < acked[w]!)
        return { problem: `writer ${w}: acked ${acked[w]}, but its last transaction in the file is ${last}`, kept, unacked }
      if (last > acked[w]! + 1)
        return { problem: `writer ${w}: acked ${acked[w]}, but the file holds ${last} (only one may be in flight)`, kept, unacked }
      if (last > acked[w]!) unacked++
      for (let i = 1; i <= last + 1; i++) {
        const present = [0, 1, 2].map((k) => db.get(`w${w}:${i}:${k}`))
        const whole = present.every((v) => v === i)
        const absent = present.every((v) => v === undefined)
        if (i <= last && !whole)
          return {
            problem: `writer ${w}: transaction ${i} is not whole (${JSON.stringify(present)}) though ${last} is there`,
            kept,
            unacked,
          }
        if (i > last && !absent) return { problem: `writer ${w}: transaction ${i} is (partly) there without its w${w}:last`, kept, unacked }
      }
      kept += last
      if (last > 0) writing++
    }
    // Nothing else is there: each kept transaction's three keys, and each writer's last.
    const expectedKeys = writing + kept * 3
    if (db.size !== expectedKeys) return { problem: `${db.size} keys, expected ${expectedKeys}`, kept, unacked }
    // The next writer commits on top.
    db.set('after', 1)
    db.commit()
    return { kept, unacked }
  } finally {
    db.close()
  }
}

describe('async writers killed at random instants', () => {
  const seed = testSeed('async-writers')
  it(
    `loses no acknowledged transaction and keeps every transaction whole (${TRIALS} trials)`,
    async () => {
      const outcomes: Record<string, number> = {}
      let failed = 0
      const failures: string[] = []
      for (const t of trialNumbers(TRIALS)) {
        const rand = prng(trialSeed(seed, t))
        const delay = t % 2 === 0 ? rand() * 40 : 40 + rand() * 360
        const dir = join(root, `trial-${t}`)
        mkdirSync(dir)
        const file = join(dir, 'async.db')
        const worker = spawnWorker('async-writers.mjs', [file, String(WRITERS)])
        await worker.waitForLine((l) => l.startsWith('opened'))
        await sleep(delay)
        worker.kill()
        const exit = await worker.exited
        const acked = Array.from({ length: WRITERS }, () => 0)
        for (const l of worker.lines) {
          if (!l.startsWith('acked ')) continue
          const [, w, i] = l.split(' ').map(Number)
          if (i !== acked[w!]! + 1) failures.push(`trial ${t}: writer ${w} acked ${i} after ${acked[w!]}`)
          acked[w!] = i!
        }
        if (exit.signal !== 'SIGKILL') {
          failed++
          failures.push(`trial ${t}: the worker exited by itself (${exit.code}): ${exit.stderr}`)
          continue
        }
        const result = check(file, acked)
        if (result.problem !== undefined) {
          failed++
          failures.push(`trial ${t} (DBDB_SEED=${seed} DBDB_ONLY_TRIAL=${t}, killed after ${delay.toFixed(1)} ms): ${result.problem}`)
        }
        tally(outcomes, result.unacked > 0 ? 'unacked-kept' : acked.some((a) => a > 0) ? 'acked-only' : 'nothing-acked')
        removeDir(dir)
      }
      report({ test: 'async-writers', seed, trials: TRIALS, failed, outcomes })
      expect(failures).toEqual([])
    },
    timeoutFor(TRIALS, 3000),
  )
})
