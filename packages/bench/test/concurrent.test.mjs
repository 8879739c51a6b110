// The "concurrent writers" workload: a tiny run of every store, and its report.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { measureSyncCosts } from '../src/concurrent/machine.mjs'
import { concurrentMarkdown, goals } from '../src/concurrent/run.mjs'
import { STORES } from '../src/concurrent/stores.mjs'

const child = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'concurrent', 'child.mjs')

describe('concurrent writers: one tiny run per store', () => {
  for (const store of STORES) {
    it(store.id, () => {
      const dir = mkdtempSync(join(tmpdir(), 'dbdb-bench-concurrent-test-'))
      try {
        const r = spawnSync(process.execPath, [child, store.id, '4', '300', dir], { encoding: 'utf8' })
        expect(r.status, r.stderr).toBe(0)
        const result = JSON.parse(r.stdout.trim().split('\n').pop())
        if (result.unavailable) return
        for (const key of ['writesPerSec', 'p50', 'p99', 'loopP99']) expect(typeof result[key], key).toBe('number')
        expect(result.writesPerSec).toBeGreaterThan(0)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  }
})

describe("this machine's sync costs", () => {
  it('measures a sync on the main thread, on the thread pool, and a round trip with no I/O', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbdb-bench-machine-test-'))
    try {
      const costs = await measureSyncCosts(dir, 5)
      expect(Object.keys(costs).sort()).toEqual(['poolRoundTripUs', 'poolSyncUs', 'syncUs'])
      for (const [k, v] of Object.entries(costs)) expect(Number.isInteger(v) && v >= 0, `${k} ${v}`).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('concurrent writers report', () => {
  const row = (store, c, writesPerSec, loopP99 = 0.5) => ({
    store,
    c,
    writesPerSec,
    p50: 1,
    p99: 2,
    loopP99,
    runs: [writesPerSec],
    syncsPerWrite: 0.1,
  })
  const result = {
    writes: 100,
    runs: 1,
    writers: [1, 64],
    stores: STORES.map(({ id, label, durable, api }) => ({ id, label, durable, api })),
    rows: [
      row('dbdb-async', 64, 3000),
      row('lmdb-put', 64, 1000),
      row('sqlite-full', 64, 100),
      row('dbdb-async', 1, 95),
      row('dbdb-sync', 1, 100),
      { store: 'level-sync', c: 1, unavailable: 'not installed' },
    ],
  }

  it('computes the goals as ratios of the same run', () => {
    const g = goals(result)
    expect(g.map((x) => x.value)).toEqual([3, 30, 0.5, 100 / 95])
  })

  it('renders a table with every row, unavailable stores and the goals', () => {
    const md = concurrentMarkdown(result, 'meta')
    expect(md).toContain('| DBDB await setAsync | yes | 64 | 3,000 |')
    expect(md).toContain('classic-level put sync | yes | all | unavailable')
    expect(md).toMatch(/≥ 1.5× lmdb await put \| 3.00× \| yes/)
    expect(md).not.toContain('thread pool;')
  })

  it('says what a sync costs on the machine when the results have it', () => {
    const md = concurrentMarkdown({ ...result, machine: { syncUs: 150, poolSyncUs: 1250, poolRoundTripUs: 95 } }, 'meta')
    expect(md).toContain("take 150 µs on the main thread and 1,250 µs with the fdatasync on libuv's thread pool")
    expect(md).toContain('takes 95 µs (medians, apart from any store)')
  })
})
