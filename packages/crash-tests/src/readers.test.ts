// Readers never block and never see a half-done commit: three read-only processes
// read while a writer process commits as fast as it can (durability 'none'), each
// commit setting all of r000..r099 to its number. Every consistent read
// ([...db.values()], a snapshot's 100 get()s, a range iteration) must see one whole
// commit, reads never go back in time, and readers never throw. (100 plain get()s
// outside a snapshot may straddle commits, so they are not tested.)
// See workers/fast-writer.mjs and workers/reader.mjs.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { open } from '@dbdb/dbdb'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll, lastJson, makeTempDir, removeDir, report, spawnWorker, timeoutFor, trialCount } from './harness.js'

const READERS = 3
const ROUNDS = trialCount('readers', 2, 20)
/** Reads per method per reader in the first attempt; a round retries with 4x more when some reader saw < 2 commits. */
const FIRST_READS = 300
const ATTEMPTS = 4
const KEYS = Array.from({ length: 100 }, (_, i) => `r${String(i).padStart(3, '0')}`)

let dir: string | undefined
afterEach(async () => {
  await killAll()
  removeDir(dir)
  dir = undefined
})

interface ReaderReport {
  reads: number
  distinct: number
  min: number
  max: number
  bad: unknown[]
}

interface Attempt {
  readers: ReaderReport[]
  commits: number
  problems: string[]
}

async function attempt(reads: number): Promise<Attempt> {
  removeDir(dir)
  dir = makeTempDir('readers')
  const file = join(dir, 'readers.db')
  const go = join(dir, 'go')
  const stop = join(dir, 'stop')
  // Commit 1 (txid 1) sets every key to 0; the writer's commit c is txid c + 1.
  const db = open(file)
  db.transaction(() => {
    for (const k of KEYS) db.set(k, 0)
  })
  db.close()

  const writer = spawnWorker('fast-writer.mjs', [file, go, stop, '1'])
  const readers = Array.from({ length: READERS }, () => spawnWorker('reader.mjs', [file, go, String(reads)]))
  const problems: string[] = []
  try {
    await Promise.all([writer, ...readers].map((w) => w.waitForLine((l) => l === 'ready')))
    writeFileSync(go, '')
    const exits = await Promise.all(readers.map((r) => r.exited))
    writeFileSync(stop, '')
    const wexit = await writer.exited
    if (wexit.code !== 0) problems.push(`the writer exited with ${wexit.code ?? wexit.signal}: ${wexit.stderr.trim().slice(0, 2000)}`)
    const commits = Number(/^commits (\d+)$/m.exec(wexit.stdout)?.[1] ?? NaN)
    const reports: ReaderReport[] = []
    exits.forEach((exit, i) => {
      const rep = lastJson<ReaderReport>(readers[i]!)
      if (exit.code !== 0) {
        problems.push(
          `reader ${i} exited with ${exit.code ?? exit.signal}: ${JSON.stringify(rep?.bad ?? [])} ${exit.stderr.trim().slice(0, 2000)}`,
        )
      }
      if (rep !== undefined) reports.push(rep)
      else problems.push(`reader ${i} reported nothing: ${exit.stdout.slice(0, 500)}`)
    })
    // The file after the writer stopped holds one whole commit too.
    const after = open(file, { readOnly: true })
    try {
      const values = [...after.values()]
      if (values.length !== 100 || values.some((v) => v !== after.txid - 1))
        problems.push(`final file: txid ${after.txid}, values ${[...new Set(values)].join(',')}`)
      if (after.txid !== commits + 1) problems.push(`final txid ${after.txid} after the writer's ${commits} commits`)
    } finally {
      after.close()
    }
    return { readers: reports, commits, problems }
  } finally {
    for (const w of [writer, ...readers]) w.kill()
    await Promise.all([writer, ...readers].map((w) => w.exited))
  }
}

describe('readers in other processes during fast commits', () => {
  it(
    `see only whole commits, never go back in time, and never throw (${ROUNDS} round(s) of ${READERS} readers)`,
    async () => {
      const outcomes: Record<string, number> = {}
      const problems: string[] = []
      let failed = 0
      for (let round = 0; round < ROUNDS; round++) {
        let reads = FIRST_READS
        let result: Attempt | undefined
        for (let a = 1; a <= ATTEMPTS; a++, reads *= 4) {
          result = await attempt(reads)
          const overlapped = result.readers.length === READERS && result.readers.every((r) => r.distinct > 1)
          outcomes.attempts = (outcomes.attempts ?? 0) + 1
          // Broken reads fail at once; too little overlap with the writer is retried with more reads.
          if (result.problems.length > 0 || overlapped) break
          console.log(
            `[readers] round ${round} attempt ${a}: a reader saw fewer than 2 commits (${JSON.stringify(result.readers.map((r) => r.distinct))}); retrying with ${reads * 4} reads`,
          )
        }
        const r = result!
        console.log(
          `[readers] round ${round}: writer made ${r.commits} commits; readers made ${r.readers.map((x) => x.reads).join('/')} reads and saw ${r.readers.map((x) => x.distinct).join('/')} distinct commits`,
        )
        const these = [...r.problems]
        for (const [i, rep] of r.readers.entries()) {
          if (!(rep.distinct > 1))
            these.push(`reader ${i} saw only ${rep.distinct} distinct commit(s) in ${ATTEMPTS} attempts: it never ran during writing`)
        }
        if (these.length > 0) failed++
        problems.push(...these.map((p) => `round ${round}: ${p}`))
        outcomes['reads-checked'] = (outcomes['reads-checked'] ?? 0) + r.readers.reduce((n, x) => n + x.reads, 0)
        outcomes['distinct-commits-seen'] = (outcomes['distinct-commits-seen'] ?? 0) + r.readers.reduce((n, x) => n + x.distinct, 0)
        outcomes['writer-commits'] = (outcomes['writer-commits'] ?? 0) + r.commits
        await killAll()
      }
      report({ test: 'readers', trials: ROUNDS, failed, outcomes })
      expect(problems.slice(0, 10), `${problems.length} problems`).toEqual([])
    },
    timeoutFor(ROUNDS, 60_000),
  )
})
