// N processes doing read-modify-write transactions lose no update, even when they all
// open (and so create) the same new file at the same moment and some are SIGKILLed.
// See workers/counter.mjs.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { open } from '@dbdb/dbdb'
import { prng, testSeed } from '@dbdb/logical/testing'
import { afterEach, describe, expect, it } from 'vitest'
import {
  killAll,
  makeTempDir,
  removeDir,
  report,
  STRESS,
  sleep,
  spawnWorker,
  tally,
  timeoutFor,
  trialCount,
  trialNumbers,
  trialSeed,
  type Worker,
} from './harness.js'

const WORKERS = 8
const VICTIMS = 3
const INCREMENTS = STRESS ? 60 : 20
const ROUNDS = trialCount('counter', 3, 40)
const LOCK_TIMEOUT_MS = 30_000

let dir: string | undefined
afterEach(async () => {
  await killAll()
  removeDir(dir)
  dir = undefined
})

interface Ack {
  worker: number
  txid: number
  j: number
  value: number
}

interface RoundResult {
  /** Counts to add up over the rounds. */
  stats: Record<string, number>
  failures: string[]
}

async function round(seed: number, t: number): Promise<RoundResult> {
  const rand = prng(trialSeed(seed, t))
  dir = makeTempDir('counter')
  const file = join(dir, 'counter.db')
  const go = join(dir, 'go')
  // Seeded victims, each killed at a seeded instant: shortly after the start signal
  // (maybe while creating or opening the file), or right after one of its acks
  // (maybe while holding the lock in its next transaction).
  const ids = Array.from({ length: WORKERS }, (_, i) => i)
  const victims = new Map<number, { afterAck: number; delayMs: number }>()
  while (victims.size < VICTIMS) {
    const w = Math.floor(rand() * WORKERS)
    if (!victims.has(w)) victims.set(w, { afterAck: rand() < 0.25 ? 0 : 1 + Math.floor(rand() * (INCREMENTS - 1)), delayMs: rand() * 15 })
  }
  const facts = { round: t, victims: Object.fromEntries(victims) }
  const workers: Worker[] = ids.map((id) => spawnWorker('counter.mjs', [file, go, String(id), String(INCREMENTS), String(LOCK_TIMEOUT_MS)]))
  const failures: string[] = []
  const fail = (msg: string): void => {
    failures.push(`round ${t} (replay: DBDB_SEED=${seed} DBDB_ONLY_TRIAL=${t}): ${msg} ${JSON.stringify(facts)}`)
  }
  try {
    await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready')))
    writeFileSync(go, '')
    const kills = [...victims].map(async ([id, { afterAck, delayMs }]) => {
      const w = workers[id]!
      if (afterAck > 0) await w.waitForLine((l) => l.startsWith('acked ') && Number(l.split(' ')[2]) === afterAck - 1)
      await sleep(delayMs)
      w.kill()
    })
    const exits = await Promise.all(workers.map((w) => w.exited))
    await Promise.all(kills)

    const acks: Ack[] = []
    const stats: Record<string, number> = { rounds: 1, 'victims-killed': 0, 'victims-killed-before-open': 0, 'victims-finished-first': 0 }
    exits.forEach((exit, id) => {
      if (exit.signal === 'SIGKILL' && victims.has(id)) {
        stats['victims-killed']!++
        if (!workers[id]!.lines.includes('opened')) stats['victims-killed-before-open']!++
      } else if (victims.has(id) && exit.code === 0) stats['victims-finished-first']!++
      else if (exit.code !== 0) fail(`worker ${id} exited with ${exit.code ?? exit.signal}: ${exit.stderr.trim().slice(0, 2000)}`)
      const mine = workers[id]!.lines.filter((l) => l.startsWith('acked ')).map((l) => {
        const [, txid, j, value] = l.split(' ').map(Number)
        return { worker: id, txid: txid!, j: j!, value: value! }
      })
      for (let i = 1; i < mine.length; i++) {
        if (!(mine[i]!.txid > mine[i - 1]!.txid))
          fail(`worker ${id} acked txids not strictly increasing: ${mine.map((a) => a.txid).join(',')}`)
      }
      if (!victims.has(id) && mine.length !== INCREMENTS) fail(`worker ${id} acked ${mine.length} of ${INCREMENTS}`)
      acks.push(...mine)
    })
    const byTxid = new Map<number, Ack>()
    for (const a of acks) {
      const other = byTxid.get(a.txid)
      if (other !== undefined) fail(`txid ${a.txid} acked twice: by worker ${other.worker} (#${other.j}) and worker ${a.worker} (#${a.j})`)
      byTxid.set(a.txid, a)
    }

    const db = open(file, { readOnly: true })
    try {
      const counter = db.get('counter') ?? 0
      const incs = [...db.entries({ gte: 'inc:', lt: 'inc;' })]
      const head = db.txid
      if (counter !== incs.length) fail(`lost update: counter is ${counter} but there are ${incs.length} inc: keys`)
      if (counter < acks.length) fail(`counter ${counter} < ${acks.length} acked increments`)
      if (counter !== head) fail(`counter ${counter} at txid ${head}: some commit did not add exactly one`)
      const values = new Set(incs.map(([, v]) => v))
      if (values.size !== incs.length) fail(`two increments saw the same counter value`)
      const history = db
        .history()
        .map((h) => h.txid)
        .reverse()
      if (history.join() !== Array.from({ length: head }, (_, i) => i + 1).join()) {
        fail(`history is not 1..${head} without gaps: ${history.slice(0, 50).join(',')}`)
      }
      for (const a of acks) {
        if (a.value !== a.txid) fail(`worker ${a.worker} #${a.j}: commit ${a.txid} set the counter to ${a.value}`)
        if (db.get(`inc:${a.worker}:${a.j}`) !== a.value)
          fail(`acked increment inc:${a.worker}:${a.j}=${a.value} is ${db.get(`inc:${a.worker}:${a.j}`)} in the file`)
      }
      // Every commit in the file is one increment: commit t holds counter t, and the
      // acked ones hold their own inc: key, which the commit before lacks.
      for (let txid = 1; txid <= head; txid++) {
        const snap = db.at(txid)
        try {
          if (snap.get('counter') !== txid) fail(`commit ${txid} holds counter ${snap.get('counter')}`)
          const a = byTxid.get(txid)
          if (a !== undefined && snap.get(`inc:${a.worker}:${a.j}`) !== txid)
            fail(`commit ${txid} lacks worker ${a.worker}'s acked inc #${a.j}`)
          if (snap.count({ gte: 'inc:', lt: 'inc;' }) !== txid)
            fail(`commit ${txid} has ${snap.count({ gte: 'inc:', lt: 'inc;' })} inc: keys`)
        } finally {
          snap.close()
        }
      }
      stats.commits = head
      stats.acked = acks.length
      stats['unacked-commits-kept'] = head - acks.length
      return { stats, failures }
    } finally {
      db.close()
    }
  } finally {
    for (const w of workers) w.kill()
    await Promise.all(workers.map((w) => w.exited))
  }
}

describe(`${WORKERS} processes incrementing one counter in a new file`, () => {
  it(
    `lose no update, ack unique increasing txids, and leave a gapless history, with ${VICTIMS} killed (${ROUNDS} rounds of ${INCREMENTS} increments each)`,
    async () => {
      const seed = testSeed('counter')
      const outcomes: Record<string, number> = {}
      const failures: string[] = []
      const rounds = trialNumbers(ROUNDS)
      for (const t of rounds) {
        const r = await round(seed, t)
        for (const [k, v] of Object.entries(r.stats)) outcomes[k] = (outcomes[k] ?? 0) + v
        if (r.failures.length > 0) tally(outcomes, 'failed-rounds')
        for (const f of r.failures) console.error(f)
        failures.push(...r.failures)
        await killAll()
        removeDir(dir)
        dir = undefined
      }
      report({ test: 'counter', seed, trials: rounds.length, failed: outcomes['failed-rounds'] ?? 0, outcomes })
      expect(failures.slice(0, 10), `${failures.length} problems`).toEqual([])
    },
    timeoutFor(ROUNDS, 30_000),
  )
})
