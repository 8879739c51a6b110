// The bug the original DBDB admits to: a handle that read an old root and then writes
// must not overwrite what another writer committed meanwhile. Every write takes the
// lock and reloads the newest commit first. "Process 1" is this test process (handle
// A); "process 2" is workers/ops.mjs, run to completion for each step.

import { join } from 'node:path'
import { type Database, type OpenOptions, open } from '@dbdb/dbdb'
import { prng, testSeed } from '@dbdb/logical/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { codeOf, killAll, makeTempDir, removeDir, report, spawnWorker, tally, timeoutFor, trialCount } from './harness.js'

const STEPS = trialCount('stale-writer', 20, 300)

let dir: string
let file: string
const handles: Database[] = []
beforeEach(() => {
  dir = makeTempDir('stale-writer')
  file = join(dir, 'stale.db')
})
afterEach(async () => {
  for (const h of handles.splice(0)) h.close()
  await killAll()
  removeDir(dir)
})

function openHandle(options: OpenOptions & { keyEncoding?: 'utf8' } = {}): Database {
  const db = open(file, options)
  handles.push(db)
  return db
}

interface Ops {
  set?: Record<string, unknown>
  del?: string[]
  inc?: string[]
  lockTimeoutMs?: number
}

/** Runs one transaction in another process; resolves to its txid, or its error code. */
async function otherProcess(ops: Ops): Promise<{ txid?: number; error?: string; stderr: string }> {
  const w = spawnWorker('ops.mjs', [file, JSON.stringify(ops)])
  const exit = await w.exited
  const acked = /^acked (\d+)$/m.exec(exit.stdout)
  if (exit.code === 0 && acked) return { txid: Number(acked[1]), stderr: exit.stderr }
  return { error: /^error (\S+)$/m.exec(exit.stdout)?.[1] ?? `exit ${exit.code ?? exit.signal}`, stderr: exit.stderr }
}

function contentOf(db: { entries(): IterableIterator<[string, unknown]> }): Record<string, unknown> {
  return Object.fromEntries(db.entries())
}

describe('a stale handle', () => {
  it('keeps what another process committed after the handle last read', async () => {
    const setup = openHandle()
    setup.set('x', 0)
    setup.commit()
    setup.close()

    const a = openHandle()
    expect(a.get('x')).toBe(0)
    const old = a.snapshot()

    // Process 2 commits while A's view is at txid 1.
    expect(await otherProcess({ set: { x: 5, p2: 'kept' } })).toMatchObject({ txid: 2 })

    // A writes without reading first: its first write takes the lock and reloads.
    a.set('y', 1)
    expect(a.commit()).toMatchObject({ txid: 3 })
    expect(contentOf(openHandle({ readOnly: true }))).toEqual({ p2: 'kept', x: 5, y: 1 })

    // A read-modify-write transaction starts from the newest commit.
    a.transaction(() => a.set('x', a.get('x') + 1))
    expect(a.get('x')).toBe(6)
    expect(contentOf(openHandle({ readOnly: true }))).toEqual({ p2: 'kept', x: 6, y: 1 })

    // Once more with the other process's commit landing between A's read and A's transaction.
    expect(a.get('x')).toBe(6)
    expect(await otherProcess({ inc: ['x'], set: { p2b: true } })).toMatchObject({ txid: 5 })
    a.transaction(() => a.set('x', a.get('x') + 1))
    // ...and between A's read and A's delete.
    expect(a.has('p2')).toBe(true)
    expect(await otherProcess({ set: { p2c: 'kept too' } })).toMatchObject({ txid: 7 })
    expect(a.delete('y')).toBe(true)
    a.commit()

    const final = openHandle({ readOnly: true })
    expect(contentOf(final)).toEqual({ p2: 'kept', p2b: true, p2c: 'kept too', x: 8 })
    expect(final.history().map((h) => h.txid)).toEqual([8, 7, 6, 5, 4, 3, 2, 1])
    // The snapshot A took before all this still shows txid 1.
    expect(old.txid).toBe(1)
    expect(contentOf(old)).toEqual({ x: 0 })
  })

  it(
    `interleaved with another process's commits keeps every commit (seeded, ${STEPS} steps)`,
    async () => {
      const seed = testSeed('stale-writer interleaving')
      const rand = prng(seed)
      const model = new Map<string, unknown>()
      const apply = (ops: Ops): void => {
        for (const [k, v] of Object.entries(ops.set ?? {})) model.set(k, v)
        for (const k of ops.del ?? []) model.delete(k)
        for (const k of ops.inc ?? []) model.set(k, ((model.get(k) as number | undefined) ?? 0) + 1)
      }
      const snapshots: Array<{ snap: ReturnType<Database['snapshot']>; content: Record<string, unknown>; step: number }> = []
      const outcomes: Record<string, number> = {}
      const a = openHandle()
      const sorted = (): Record<string, unknown> => Object.fromEntries([...model].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      for (let step = 0; step < STEPS; step++) {
        const where = `step ${step} (DBDB_SEED=${seed})`
        const r = rand()
        const key = `k${Math.floor(rand() * 6)}`
        if (r < 0.4) {
          // Process 2 commits while A is idle (and so stale).
          const ops: Ops =
            rand() < 0.5 ? { inc: ['x'], set: { [`p2:${step}`]: step } } : rand() < 0.5 ? { set: { [key]: `p2@${step}` } } : { del: [key] }
          const got = await otherProcess(ops)
          expect(got.error, `${where}: ${got.stderr}`).toBeUndefined()
          apply(ops)
          tally(outcomes, 'other-process-commits')
        } else if (r < 0.55) {
          a.set(key, `a@${step}`)
          a.set(`a:${step}`, step)
          a.commit()
          apply({ set: { [key]: `a@${step}`, [`a:${step}`]: step } })
          tally(outcomes, 'stale-set-commits')
        } else if (r < 0.65) {
          const existed = a.delete(key)
          expect(existed, `${where}: delete(${key})`).toBe(model.has(key))
          a.commit()
          apply({ del: [key] })
          tally(outcomes, 'stale-delete-commits')
        } else if (r < 0.85) {
          a.transaction(() => a.set('x', (a.get('x') ?? 0) + 1))
          apply({ inc: ['x'] })
          tally(outcomes, 'stale-transactions')
        } else if (r < 0.93) {
          // Reads outside a transaction see every commit that finished before them.
          expect(a.get('x'), where).toBe(model.get('x'))
          expect(contentOf(a), where).toEqual(sorted())
          tally(outcomes, 'reads')
        } else {
          snapshots.push({ snap: a.snapshot(), content: sorted(), step })
          tally(outcomes, 'snapshots')
        }
      }
      const final = openHandle({ readOnly: true })
      expect(contentOf(final)).toEqual(sorted())
      const head = final.txid
      expect(final.history().map((h) => h.txid)).toEqual(Array.from({ length: head }, (_, i) => head - i))
      for (const s of snapshots) expect(contentOf(s.snap), `snapshot of step ${s.step}`).toEqual(s.content)
      report({ test: 'stale-writer', seed, trials: STEPS, failed: 0, outcomes })
    },
    timeoutFor(STEPS, 1_000),
  )

  it("waits for another process's lock, fails with DBDB_LOCKED after lockTimeoutMs, and succeeds once it is free", async () => {
    const a = openHandle()
    a.set('a', 1) // A holds the writer lock from here to its commit
    const blocked = await otherProcess({ set: { b: 2 }, lockTimeoutMs: 100 })
    expect(blocked.error, blocked.stderr).toBe('DBDB_LOCKED')
    a.commit()
    expect(await otherProcess({ set: { b: 2 }, lockTimeoutMs: 100 })).toMatchObject({ txid: 2 })
    expect(contentOf(a)).toEqual({ a: 1, b: 2 })
  })
})

describe('two handles in one process', () => {
  it('the second one fails with DBDB_LOCKED while the first holds the lock, and succeeds after it commits', () => {
    const a = openHandle()
    const b = openHandle({ lockTimeoutMs: 100 })
    a.set('a', 1)
    expect(codeOf(() => b.set('b', 2))).toBe('DBDB_LOCKED')
    expect(b.inTransaction).toBe(false)
    let ran = false
    expect(
      codeOf(() =>
        b.transaction(() => {
          ran = true
        }),
      ),
    ).toBe('DBDB_LOCKED')
    expect(ran).toBe(false)
    expect(codeOf(() => b.delete('a'))).toBe('DBDB_LOCKED')
    expect(b.get('a')).toBeUndefined() // A's write is not committed yet
    a.commit()

    b.set('b', 2)
    expect(b.get('a')).toBe(1) // B's transaction started from A's commit
    expect(b.commit()).toMatchObject({ txid: 2 })
    expect(contentOf(a)).toEqual({ a: 1, b: 2 })

    // The same inside A's transaction(fn): B's failure does not disturb A's commit.
    a.transaction(() => {
      a.set('c', 3)
      expect(codeOf(() => b.set('d', 4))).toBe('DBDB_LOCKED')
    })
    b.transaction(() => b.set('d', b.get('c') + 1))
    expect(contentOf(openHandle({ readOnly: true }))).toEqual({ a: 1, b: 2, c: 3, d: 4 })
  })
})
