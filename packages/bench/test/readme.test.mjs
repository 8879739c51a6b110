// The README tables: the marker blocks they go into, which rows and columns they show,
// and that the READMEs in the repository show the results committed beside them.

import { describe, expect, it } from 'vitest'
import { regenerate } from '../src/readme.mjs'
import { concurrentTable, fillBlocks, latestRows, latestTable } from '../src/report/readme.mjs'

const figures = (ms, bytes) => ({
  bulkLoadMs: ms,
  bytesAfterLoad: bytes,
  commitsMs: ms,
  getsMs: ms,
  scanMs: ms,
  rangesMs: ms,
  overwriteMs: ms,
  bytesBeforeCompact: 5 * bytes,
  compactMs: ms,
  bytesAfterCompact: bytes,
  reopenMs: ms / 100,
  importMs: ms / 10,
  peakRssBytes: 10 * bytes,
})
const ratios = (r) => Object.fromEntries(Object.keys(figures(1, 1)).map((k) => [k, r]))
const target = (id, family, durable, ms, r, extra = {}) => ({
  id,
  family,
  durable,
  ok: true,
  baseline: durable ? 'sqlite-full' : 'sqlite-off',
  median: figures(ms, 20 << 20),
  ratio: ratios(r),
  ...extra,
})
const report = {
  meta: { date: '2026-11-26T15:13:46.096Z', node: '20.20.2', cpus: 2, cpuModel: 'Some CPU', n: 200000, runs: 3 },
  targets: [
    target('dbdb-bplus-msgpack-fsync', 'dbdb', true, 400, 0.5),
    target('dbdb-bplus-msgpack-none', 'dbdb', false, 300, 0.4),
    target('dbdb-binary-json-fsync', 'dbdb', true, 1600, 2),
    target('lmdb-sync', 'lmdb', true, 500, 0.625, { ok: false }),
    target('sqlite-full', 'sqlite', true, 800, 1),
    target('sqlite-off', 'sqlite', false, 750, 1),
  ],
  unavailable: [{ id: 'level-sync', durable: true, reason: 'classic-level is not installed' }],
}
const concurrent = {
  date: '2026-12-07T17:17:02.152Z',
  node: '20.20.2',
  writes: 20000,
  runs: 3,
  stores: [
    { id: 'dbdb-async', label: 'DBDB await setAsync', durable: true },
    { id: 'lmdb-put', label: 'lmdb await put', durable: false },
  ],
  rows: [
    { store: 'dbdb-async', c: 1, writesPerSec: 4191.2, p50: 0.2125, p99: 0.73, loopP99: 1.8, syncsPerWrite: 1 },
    { store: 'dbdb-async', c: 64, writesPerSec: 70461.4, p50: 0.53, p99: 4.83, loopP99: 4.11, syncsPerWrite: 0.0156 },
    { store: 'dbdb-async', c: 256, writesPerSec: 118544, p50: 1.44, p99: 8.43, loopP99: 4.73 },
    { store: 'lmdb-put', c: 1, unavailable: 'lmdb is not installed' },
  ],
}

describe('results tables', () => {
  it('shows DBDB’s default beside the peers, or every variant, in one durability mode', () => {
    expect(latestRows(report).map((t) => t.id)).toEqual(['dbdb-bplus-msgpack-fsync', 'lmdb-sync', 'sqlite-full'])
    expect(latestRows(report, { dbdb: 'all' }).map((t) => t.id)).toEqual([
      'dbdb-bplus-msgpack-fsync',
      'dbdb-binary-json-fsync',
      'lmdb-sync',
      'sqlite-full',
    ])
    expect(latestRows(report, { mode: 'nosync' }).map((t) => t.id)).toEqual(['dbdb-bplus-msgpack-none', 'sqlite-off'])
    expect(() => latestRows(report, { mode: 'fast' })).toThrow(/durable or nosync/)
    expect(() => latestRows(report, { dbdb: 'some' })).toThrow(/default or all/)
  })

  it('draws times with their ratio, sizes without, failed and unavailable stores marked', () => {
    const md = latestTable(report)
    const lines = md.split('\n')
    expect(lines[0]).toMatch(
      /^`pnpm bench` of 26 November 2026: N = 200,000 entries .* medians of 3 runs, .*Node 20\.20\.2 on 2 × Some CPU\. Every commit synced/,
    )
    expect(lines[2].split('|').length - 2).toBe(12)
    expect(lines[4]).toBe(
      '| **dbdb-bplus-msgpack-fsync** (default) | 400 ms (0.50×) | 20.0 MiB | 400 ms (0.50×) | 400 ms (0.50×) | 400 ms (0.50×) | 400 ms (0.50×) | 400 ms (0.50×) | 100 / 20.0 MiB | 4.00 ms (0.50×) | 40.0 ms (0.50×) | 200 MiB |',
    )
    expect(lines[5]).toMatch(/^\| ~~lmdb-sync~~ \(failed its checks\) \| 500 ms \(0\.63×\) \|/)
    expect(lines[6]).toMatch(/^\| sqlite-full \(better-sqlite3, WAL, synchronous=FULL\) \| 800 ms \| 20\.0 MiB \|/)
    expect(lines[7]).toMatch(/^\| level-sync \| unavailable: classic-level is not installed \|/)
    expect(lines[7].split('|').length).toBe(lines[4].split('|').length)
    expect(latestTable(report, { mode: 'nosync' })).toMatch(/Nothing synced.*synchronous=OFF/)
  })

  it('draws the concurrent writers, a row per store, every C or the ones asked', () => {
    const all = concurrentTable(concurrent).split('\n')
    expect(all[0]).toMatch(/^`pnpm bench` of 7 December 2026: C writers.* 20,000 writes, medians of 3 runs/)
    expect(all[2]).toBe(
      '| store | durable when acked | writes/s, C = 1 | writes/s, C = 64 | writes/s, C = 256 | p50 / p99 ack ms, C = 64 | event loop p99 ms, C = 64 | fsync calls per write, C = 64 |',
    )
    expect(all.slice(4)).toEqual([
      '| DBDB await setAsync | yes | 4,191 | 70,461 | 118,544 | 0.53 / 4.83 | 4.11 | 0.016 |',
      '| lmdb await put | no | unavailable (not installed) |  |  |  |  |  |',
    ])
    expect(all[4].split('|').length).toBe(all[5].split('|').length)
    const some = concurrentTable(concurrent, { writers: '1,16', at: '256' }).split('\n')
    expect(some[4]).toBe('| DBDB await setAsync | yes | 4,191 | n/a | 1.44 / 8.43 | 4.73 | n/a |')
    expect(concurrentTable(concurrent, { writers: '1' })).toContain('C = 1 |')
    expect(() => concurrentTable(concurrent, { writers: '1,x' })).toThrow(/list of counts/)
    expect(all.at(-1)).toMatch(/^\| lmdb/)
    const withCosts = concurrentTable({ ...concurrent, machine: { syncUs: 160, poolSyncUs: 250, poolRoundTripUs: 90 } }).split('\n')
    expect(withCosts.at(-2)).toBe('')
    expect(withCosts.at(-1)).toMatch(
      /^On this machine a 4 KiB write and its fdatasync take 160 µs on the main thread and 250 µs .* 90 µs \(medians, apart from any store\)/,
    )
  })
})

describe('marker blocks', () => {
  const render = { latest: (o) => `L ${JSON.stringify(o)}\n\n`, concurrent: () => 'C' }

  it('replaces what is between the markers, keeps everything else, and is idempotent', () => {
    const text =
      'intro\n<!-- bench:latest:start -->\nold table\n<!-- bench:latest:end -->\nmiddle\n<!-- bench:latest:start dbdb=all mode=nosync -->\n<!-- bench:latest:end -->\n<!-- bench:concurrent:start -->x<!-- bench:concurrent:end -->\nend\n'
    const out = fillBlocks(text, render)
    expect(out).toBe(
      'intro\n<!-- bench:latest:start -->\nL {}\n<!-- bench:latest:end -->\nmiddle\n<!-- bench:latest:start dbdb=all mode=nosync -->\nL {"dbdb":"all","mode":"nosync"}\n<!-- bench:latest:end -->\n<!-- bench:concurrent:start -->\nC\n<!-- bench:concurrent:end -->\nend\n',
    )
    expect(fillBlocks(out, render)).toBe(out)
    expect(fillBlocks('no blocks here\n', render)).toBe('no blocks here\n')
  })

  it('refuses unknown names, unpaired markers and malformed options', () => {
    expect(() => fillBlocks('<!-- bench:other:start -->\n<!-- bench:other:end -->', render, 'F.md')).toThrow(
      /F\.md: unknown block bench:other/,
    )
    expect(() => fillBlocks('<!-- bench:latest:start -->\n', render)).toThrow(/has no <!-- bench:latest:end -->/)
    expect(() => fillBlocks('<!-- bench:latest:end -->\n', render)).toThrow(/without its start/)
    expect(() => fillBlocks('<!-- bench:latest:start -->\n<!-- bench:concurrent:end -->', render)).toThrow(/without its start/)
    expect(() => fillBlocks('<!-- bench:latest:start -->\n<!-- bench:concurrent:start -->\n', render)).toThrow(/has no end before/)
    expect(() => fillBlocks('<!-- bench:latest:start rows -->\n<!-- bench:latest:end -->', render)).toThrow(/"rows" is not OPTION=VALUE/)
    expect(() => fillBlocks('<!-- bench:latest:start -->\n<!-- bench:latest:end x=1 -->', render)).toThrow(/takes no options/)
  })
})

describe('the READMEs', () => {
  it('show the committed results (after a bench run: pnpm --filter @dbdb/bench readme)', () => {
    const files = regenerate()
    expect(files.length).toBe(2)
    for (const f of files) {
      expect(f.before).toContain('<!-- bench:latest:start')
      expect(f.after, `${f.path} is not what results/latest*.json give: run pnpm --filter @dbdb/bench readme`).toBe(f.before)
    }
  })
})
