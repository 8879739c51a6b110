// The harness itself: data, statistics, target selection, the reports, and one tiny
// end-to-end child run per store family (so a change to DBDB or a peer that breaks the
// benchmark shows up in the test run, not at the next `pnpm bench`).

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KeyMaker, makeValue, makeWorkload } from '../src/data.mjs'
import { toMarkdown } from '../src/report/markdown.mjs'
import { buildReport } from '../src/report/model.mjs'
import { toSvg } from '../src/report/svg.mjs'
import { median, ratio } from '../src/stats.mjs'
import { selectTargets, TARGETS } from '../src/targets.mjs'

const childPath = new URL('../src/child.mjs', import.meta.url).pathname

describe('data', () => {
  it('makes unique 16-byte keys whose byte order is the sorted order', () => {
    const w = makeWorkload({ n: 3000, commits: 100, gets: 1000, ranges: 10, rangeLength: 50, seed: 7 })
    const all = w.keys.map((k) => k.toString('latin1'))
    expect(new Set(all).size).toBe(all.length)
    expect(w.keys.every((k) => k.length === 16)).toBe(true)
    for (let p = 1; p < w.sorted.length; p++) expect(Buffer.compare(w.keys[w.sorted[p - 1]], w.keys[w.sorted[p]])).toBe(-1)
    const misses = [...w.getOps].filter((i) => i >= w.live).length
    expect(misses).toBe(100)
    expect([...w.rangeStarts].every((p) => p + w.rangeLength <= w.live)).toBe(true)
  })

  it('makes the same data from the same seed, and other data from another', () => {
    expect(new KeyMaker(1).key(5)).toEqual(new KeyMaker(1).key(5))
    expect(new KeyMaker(1).key(5)).not.toEqual(new KeyMaker(2).key(5))
    expect(makeValue(1, 5, 0)).toEqual(makeValue(1, 5, 0))
    expect(makeValue(1, 5, 0)).not.toEqual(makeValue(1, 5, 1))
    expect(makeValue(1, 5, 0).length).toBe(100)
  })
})

describe('stats and targets', () => {
  it('takes medians and ratios', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
    expect(median([null, undefined])).toBe(null)
    expect(ratio(3, 2)).toBe(1.5)
    expect(ratio(3, null)).toBe(null)
  })

  it('has 14 targets and always adds the better-sqlite3 baselines', () => {
    expect(TARGETS).toHaveLength(14)
    const { targets, added } = selectTargets('dbdb-bplus-msgpack-fsync,lmdb-nosync')
    expect(targets.map((t) => t.id)).toEqual(['dbdb-bplus-msgpack-fsync', 'lmdb-nosync', 'sqlite-full', 'sqlite-off'])
    expect(added).toEqual(['sqlite-full', 'sqlite-off'])
    expect(selectTargets('dbdb-binary').targets).toHaveLength(6)
    expect(() => selectTargets('nope')).toThrow(/no such target/)
  })
})

describe('reports', () => {
  const fake = (id, figures, extra = {}) => ({
    target: id,
    round: 0,
    ok: true,
    figures,
    checks: [{ name: 'gets', passed: 10, failed: 0, examples: [] }],
    notes: [],
    ...extra,
  })
  const targets = selectTargets('dbdb-bplus-msgpack-fsync,lmdb-sync').targets.filter((t) => t.durable)
  const runs = new Map([
    [
      'dbdb-bplus-msgpack-fsync',
      [
        fake(
          'dbdb-bplus-msgpack-fsync',
          { bulkLoadMs: 30, getsMs: 5 },
          { ok: false, checks: [{ name: 'gets <x>', passed: 1, failed: 2, examples: ['key a -> b'] }] },
        ),
      ],
    ],
    ['lmdb-sync', [fake('lmdb-sync', { bulkLoadMs: 5, getsMs: 20 }, { notes: ['compaction n/a: none'] })]],
    ['sqlite-full', [fake('sqlite-full', { bulkLoadMs: 10, getsMs: 10 })]],
  ])
  const meta = {
    date: '2026-01-01T00:00:00.000Z',
    node: '20',
    cpus: 2,
    cpuModel: 'cpu',
    memTotal: 1,
    n: 100,
    seed: 1,
    runs: 1,
    settings: {},
    tmp: '/tmp',
    ramDisk: false,
    durationMs: 1,
  }
  const report = buildReport({ targets, runs, meta, workload: { n: 100, commits: 2, gets: 100, ranges: 1, rangeLength: 10, rounds: 1 } })

  it('divides by better-sqlite3 and strikes out a store that failed its checks', () => {
    const dbdb = report.targets.find((t) => t.id === 'dbdb-bplus-msgpack-fsync')
    expect(dbdb.ratio.bulkLoadMs).toBe(3)
    expect(dbdb.ratio.getsMs).toBe(0.5)
    expect(dbdb.ok).toBe(false)
    const md = toMarkdown(report)
    expect(md).toContain('~~dbdb-bplus-msgpack-fsync~~')
    expect(md).toContain('3.00×')
    expect(md).toContain('compaction n/a: none')
  })

  it('draws an SVG with escaped text, a 1× line and a hatched failing store', () => {
    const svg = toSvg(report)
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    expect(svg).toContain('gets &lt;x&gt;')
    expect(svg).not.toMatch(/<x>/)
    expect(svg).toContain('url(#hatch)')
    expect(svg).toContain('>1×<')
  })
})

/** One tiny child run of target `id`; `nodeArgs` go before the script (e.g. an --import). */
function tinyRun(id, nodeArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'dbdb-bench-test-'))
  try {
    const family = TARGETS.find((t) => t.id === id).family
    const settings = { commits: 20, gets: 300, ranges: 5, rangeLength: 50, rounds: 2 }
    const r = spawnSync(process.execPath, [...nodeArgs, '--expose-gc', childPath, family, id, '300', '3', dir, JSON.stringify(settings)], {
      encoding: 'utf8',
    })
    return { status: r.status, stderr: r.stderr, result: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()) : undefined }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('one tiny run per store family', () => {
  for (const id of ['dbdb-bplus-msgpack-none', 'dbdb-binary-json-fsync', 'sqlite-off', 'lmdb-nosync', 'level-nosync']) {
    it(id, (ctx) => {
      {
        const { status, stderr, result } = tinyRun(id)
        expect(status, stderr).toBe(0)
        if (result.unavailable && !id.startsWith('dbdb-')) {
          // An optional peer this machine installed without (no compiler, no prebuilt binary).
          console.log(`bench harness test: ${id} skipped: ${result.unavailable}`)
          ctx.skip()
        }
        expect(result.checks.filter((c) => c.failed)).toEqual([])
        expect(result.ok).toBe(true)
        for (const key of [
          'bulkLoadMs',
          'bytesAfterLoad',
          'commitsMs',
          'getsMs',
          'scanMs',
          'rangesMs',
          'overwriteMs',
          'bytesBeforeCompact',
          'reopenMs',
          'peakRssBytes',
        ]) {
          expect(typeof result.figures[key], key).toBe('number')
        }
      }
    })
  }

  it('reports a peer that is not installed as unavailable, and the report lists it without failing', () => {
    // Resolving better-sqlite3 fails as it does where the optional dependency was not installed.
    const hooks = `export async function resolve(s, c, next) { if (s === 'better-sqlite3') throw Object.assign(new Error("Cannot find package 'better-sqlite3'"), { code: 'ERR_MODULE_NOT_FOUND' }); return next(s, c) }`
    const preload = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}))`
    const { status, stderr, result } = tinyRun('sqlite-off', ['--import', `data:text/javascript,${encodeURIComponent(preload)}`])
    expect(status, stderr).toBe(0)
    expect(result.unavailable).toMatch(/^better-sqlite3 is not installed/)

    const targets = selectTargets('dbdb-bplus-msgpack-none').targets
    const dbdbRun = { target: 'dbdb-bplus-msgpack-none', round: 0, ok: true, figures: { bulkLoadMs: 3 }, checks: [], notes: [] }
    const runs = new Map([
      ['dbdb-bplus-msgpack-none', [dbdbRun]],
      ['sqlite-off', [{ ...result, round: 0 }]],
    ])
    const meta = {
      date: '2026-01-01T00:00:00.000Z',
      node: '20',
      cpus: 2,
      cpuModel: 'cpu',
      memTotal: 1,
      n: 100,
      seed: 1,
      runs: 1,
      settings: {},
      tmp: '/tmp',
      ramDisk: false,
      durationMs: 1,
    }
    const report = buildReport({ targets, runs, meta, workload: { n: 100, commits: 2, gets: 100, ranges: 1, rangeLength: 10, rounds: 1 } })
    expect(report.targets.map((t) => t.id)).toEqual(['dbdb-bplus-msgpack-none'])
    expect(report.targets[0].ok).toBe(true)
    expect(report.targets[0].ratio.bulkLoadMs).toBe(null)
    expect(report.unavailable.map((t) => t.id)).toEqual(['sqlite-off'])
    const md = toMarkdown(report)
    expect(md).toContain('## Unavailable here')
    expect(md).toContain('- **sqlite-off**: better-sqlite3 is not installed')
    expect(toSvg(report).startsWith('<svg')).toBe(true)
  })
})
