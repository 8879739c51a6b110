// Online compaction under concurrent writers and readers in other processes (see
// compaction.fixture.ts for the counts):
//
// 1. writers: 3 processes do read-modify-write transactions (workers/compaction-writer.mjs)
//    while this process compacts the file several times (once with keepHistory: 3) and
//    2 read-only processes read (workers/compaction-reader.mjs). No lost update, every
//    acked write present, txids unique and continuing across compactions, readers
//    never throw nor see a torn commit, and the last compaction shrinks the file.

import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Database, open } from '@dbdb/dbdb'
import { prng, testSeed } from '@dbdb/logical/testing'
import { describe, expect, it } from 'vitest'
import {
  attempt,
  describeDiff,
  type Entry,
  entriesOf,
  historyOf,
  linesStarting,
  type Round,
  runRounds,
  sameEntries,
  until,
  useCleanup,
  WRITER_ROUNDS,
} from './compaction.fixture.js'
import { codeOf, lastJson, makeTempDir, removeDir, STRESS, sleep, spawnWorker, timeoutFor, trialSeed } from './harness.js'

const track = useCleanup()

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

async function writersRound(seed: number, t: number): Promise<Round> {
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
    spawnWorker('compaction-writer.mjs', [
      file,
      go,
      String(id),
      String(INCREMENTS),
      String(trialSeed(seed + id + 1, t)),
      String(WRITER_LOCK_TIMEOUT_MS),
    ]),
  )
  const readers = Array.from({ length: READERS }, () =>
    spawnWorker('compaction-reader.mjs', [file, go, stop, String(SETUP), String(WRITERS)]),
  )
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
      if (prev !== undefined && info.txid < prev.txid)
        fail(`${where}: compacted txid ${info.txid} < the previous compaction's ${prev.txid}`)
      const now = db.txid
      if (now < info.txid) fail(`${where}: the handle is at txid ${now} after compacting up to ${info.txid}`)
      if (!db.check().ok) fail(`${where}: check() not ok: ${db.check().problems.join('; ')}`)
      const hist = historyOf(db, failures, where)
      if (hist !== undefined) {
        const oldest = hist[hist.length - 1]!
        if (keep === 3 && hist.filter((x) => x <= info.txid).length < 3)
          fail(`${where}: history ${hist.join(',')} keeps fewer than 3 commits up to ${info.txid}`)
        if (oldest > info.txid) fail(`${where}: history ${hist.join(',')} lacks the compacted commit ${info.txid}`)
        // Every kept commit is one whole commit of the workload, readable with at().
        for (const x of hist) {
          const snap = attempt(failures, `${where}: at(${x})`, () => db!.at(x))
          if (snap === undefined) continue
          try {
            const counter = snap.get('counter')
            const incs = snap.count({ gte: 'inc:', lt: 'inc;' })
            if (counter !== x - SETUP || incs !== counter)
              fail(`${where}: at(${x}) holds counter ${counter} and ${incs} inc: keys, expected ${x - SETUP}`)
          } finally {
            snap.close()
          }
        }
        const dropped = codeOf(() => db!.at(oldest - 1).close())
        if (oldest - 1 >= 1 && dropped !== 'DBDB_NO_SUCH_COMMIT')
          fail(`${where}: at(${oldest - 1}), older than the kept history ${hist.join(',')}, gave ${dropped ?? 'a view'}`)
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
        if (!(mine[i]!.txid > mine[i - 1]!.txid))
          fail(`writer ${id} acked txids not increasing: ${mine[i - 1]!.txid} then ${mine[i]!.txid}`)
      }
      for (const a of mine)
        if (a.value !== a.txid - SETUP)
          fail(`writer ${id} #${a.j}: commit ${a.txid} set the counter to ${a.value}, expected ${a.txid - SETUP}`)
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
      console.log(
        `[compaction writers] round ${t}: final compaction ${final.before} -> ${final.after} bytes after ${commitsSince} commits since the previous one; the content packed alone: ${packed} bytes`,
      )
      if (final.after > packed + PACKED_SLACK)
        fail(`final compaction ${final.before} -> ${final.after} bytes, more than the ${packed} bytes of the same content packed alone`)
      if (commitsSince > 0 && !(final.after < final.before))
        fail(`final compaction ${final.before} -> ${final.after} bytes after ${commitsSince} overwriting commits: no smaller`)
      if (final.txid !== db.txid) fail(`final compaction at txid ${final.txid}, the handle at ${db.txid}`)
      if (!sameEntries(entriesOf(db), content)) fail(`final compaction changed the content: ${describeDiff(entriesOf(db), content)}`)
      const hist = historyOf(db, failures, 'after the final compaction')
      if (hist !== undefined && hist.join() !== String(final.txid))
        fail(`history after the final compaction: ${hist.join(',')}, expected ${final.txid}`)
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
      const rep = lastJson<ReaderReport>(readers[i]!)
      if (exit.code !== 0 || rep === undefined) {
        fail(
          `reader ${i} exited with ${exit.code ?? exit.signal}: ${JSON.stringify(rep?.bad ?? []).slice(0, 3000)} ${exit.stderr.trim().slice(0, 2000)}`,
        )
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
    if (counter !== check.txid - SETUP)
      fail(`counter ${counter} at txid ${check.txid}: txids did not continue one per commit across compactions`)
    for (const r of readerFinals) {
      if (r.txid !== check.txid || r.counter !== counter)
        fail(
          `reader ${r.reader}'s last read saw txid ${r.txid} (counter ${r.counter}), the file is at ${check.txid} (counter ${counter}): a handle opened before the compactions must follow them`,
        )
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
    return {
      stats,
      problems: failures.map((f) => `writers round ${t} (replay: DBDB_SEED=${seed} DBDB_ONLY_TRIAL=${t}): ${f} ${JSON.stringify(facts)}`),
    }
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
      const problems = await runRounds('compaction-writers', testSeed('compaction writers'), WRITER_ROUNDS, writersRound)
      expect(problems.slice(0, 10), `${problems.length} problems`).toEqual([])
    },
    timeoutFor(WRITER_ROUNDS, 60_000),
  )
})
