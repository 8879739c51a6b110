#!/usr/bin/env node
// The "concurrent writers" workload of `pnpm bench` (alone: `pnpm --filter @dbdb/bench
// concurrent`): for each store and each C, C async writers each await one-key writes
// in turn, N writes in all, in a child process per run; figures are medians of the
// runs. fsync calls per write are counted in one more run under strace (when it is
// installed), which times nothing. Writes results/concurrent-<date>.{md,json} and
// results/latest-concurrent.{md,json}.

import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { syncCostsSentence } from '../report/readme.mjs'
import { STORES } from './stores.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const CHILD = join(here, 'child.mjs')
const MACHINE = join(here, 'machine.mjs')
const log = (msg) => process.stderr.write(`${msg}\n`)

export const CONCURRENT_USAGE = `  --writers LIST     concurrent writers of the concurrent workload (default 1,16,64,256)
  --writes N         writes per run of the concurrent workload (default 20000)
  --stores LIST      stores of the concurrent workload (default all: ${STORES.map((s) => s.id).join(', ')})`

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function hasStrace() {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0
}

/** Runs `script` with `args` and a fresh directory (removed after) in a process of its own; returns its last line, parsed. */
function runScript(script, args, tmp, timeoutSec, prefix = []) {
  const dir = mkdtempSync(join(tmp, 'dbdb-bench-concurrent-'))
  try {
    const [cmd, ...rest] = prefix.length ? prefix : [process.execPath]
    const argv = prefix.length ? [...rest, process.execPath, script, ...args, dir] : [script, ...args, dir]
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutSec * 1000, maxBuffer: 1 << 24 })
    if (r.status !== 0) throw new Error(`${[basename(script), ...args].join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr}`)
    return JSON.parse(r.stdout.trim().split('\n').pop())
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** fsync + fdatasync calls of a run of `n` writes (with the child's 200 warm-up writes, open and close). */
function syncCalls(store, c, n, tmp, timeoutSec) {
  const out = join(mkdtempSync(join(tmp, 'dbdb-bench-strace-')), 'calls')
  try {
    const r = runScript(CHILD, [store.id, String(c), String(n)], tmp, timeoutSec, [
      'strace',
      '-f',
      '--seccomp-bpf',
      '-e',
      'trace=fsync,fdatasync',
      '-c',
      '-o',
      out,
    ])
    if (r.unavailable) return undefined
    let calls = 0
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+(fsync|fdatasync)\s*$/.exec(line)
      if (m) calls += Number(m[1])
    }
    return calls
  } finally {
    rmSync(dirname(out), { recursive: true, force: true })
  }
}

/** fsync calls per measured write: a run of `n` writes less a run of none (warm-up, open and close alone). */
function syncsPerWrite(store, c, n, tmp, timeoutSec) {
  const withWrites = syncCalls(store, c, n, tmp, timeoutSec)
  const without = syncCalls(store, c, 0, tmp, timeoutSec)
  return withWrites === undefined || without === undefined ? undefined : Math.max(0, withWrites - without) / n
}

export function runConcurrent({
  writers = [1, 16, 64, 256],
  writes = 20_000,
  runs = 3,
  stores = STORES,
  tmp = tmpdir(),
  timeoutSec = 1800,
} = {}) {
  const strace = hasStrace()
  if (!strace) log('strace is not installed: fsync calls per write are not counted')
  // What a sync costs on this machine, apart from any store.
  const machine = runScript(MACHINE, [], tmp, timeoutSec)
  log(
    `this machine: write + fdatasync ${machine.syncUs} µs, with the fdatasync on the thread pool ${machine.poolSyncUs} µs, a thread-pool round trip ${machine.poolRoundTripUs} µs`,
  )
  const rows = []
  for (const store of stores) {
    for (const c of writers) {
      const results = []
      let unavailable
      for (let r = 0; r < runs && unavailable === undefined; r++) {
        const res = runScript(CHILD, [store.id, String(c), String(writes)], tmp, timeoutSec)
        if (res.unavailable) unavailable = res.unavailable
        else results.push(res)
      }
      if (unavailable !== undefined) {
        log(`${store.id}: unavailable (${unavailable})`)
        rows.push({ store: store.id, c, unavailable })
        break
      }
      const row = {
        store: store.id,
        c,
        writesPerSec: median(results.map((x) => x.writesPerSec)),
        p50: median(results.map((x) => x.p50)),
        p99: median(results.map((x) => x.p99)),
        loopP99: median(results.map((x) => x.loopP99)),
        runs: results.map((x) => Math.round(x.writesPerSec)),
        syncsPerWrite: strace ? syncsPerWrite(store, c, Math.min(writes, 4000), tmp, timeoutSec) : undefined,
      }
      rows.push(row)
      log(
        `${store.id} C=${c}: ${Math.round(row.writesPerSec)} writes/s (runs ${row.runs.join(', ')}), p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, loop p99 ${row.loopP99.toFixed(2)} ms${row.syncsPerWrite === undefined ? '' : `, ${row.syncsPerWrite.toFixed(3)} fsync/write`}`,
      )
    }
  }
  return { writers, writes, runs, machine, rows, stores: stores.map(({ id, label, durable, api }) => ({ id, label, durable, api })) }
}

const find = (result, store, c) => result.rows.find((r) => r.store === store && r.c === c && r.unavailable === undefined)

/** The goals, as ratios of figures measured together (undefined where a store is missing). */
export function goals(result) {
  const at = (store, c) => find(result, store, c)?.writesPerSec
  const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b)
  return [
    {
      goal: 'C = 64: DBDB durable writes/s ≥ 1.5× lmdb await put',
      value: ratio(at('dbdb-async', 64), at('lmdb-put', 64)),
      target: 1.5,
      higher: true,
    },
    {
      goal: 'C = 64: DBDB durable writes/s ≥ 10× better-sqlite3 FULL',
      value: ratio(at('dbdb-async', 64), at('sqlite-full', 64)),
      target: 10,
      higher: true,
    },
    { goal: 'C = 64: event loop p99 delay ≤ 1 ms', value: find(result, 'dbdb-async', 64)?.loopP99, target: 1, higher: false, unit: 'ms' },
    {
      goal: 'C = 1: await setAsync at most 10% slower than set + commit()',
      value: ratio(at('dbdb-sync', 1), at('dbdb-async', 1)),
      target: 1.1,
      higher: false,
    },
  ]
}

export function concurrentMarkdown(result, meta) {
  const fmt = (x, d = 2) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d))
  const label = (id) => result.stores.find((s) => s.id === id)
  const lines = [
    `## Concurrent writers`,
    '',
    `C async writers, each awaiting one-key writes in turn (16-byte keys, 100-byte values), ${result.writes} writes per run, medians of ${result.runs} runs, each store in its own process. ${meta}`,
    '',
    '| store | durable when acked | C | writes/s | p50 ack ms | p99 ack ms | event loop p99 ms | fsync calls per write |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of result.rows) {
    const s = label(r.store)
    if (r.unavailable !== undefined) {
      lines.push(`| ${s.label} | ${s.durable ? 'yes' : 'no'} | all | unavailable (not installed) | | | | |`)
      continue
    }
    lines.push(
      `| ${s.label} | ${s.durable ? 'yes' : 'no'} | ${r.c} | ${Math.round(r.writesPerSec).toLocaleString('en-US')} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.loopP99)} | ${fmt(r.syncsPerWrite, 3)} |`,
    )
  }
  const costs = syncCostsSentence(result.machine)
  if (costs) lines.push('', costs)
  lines.push('', '| goal | measured | met |', '| --- | ---: | --- |')
  for (const g of goals(result)) {
    const met = g.value === undefined ? 'n/a' : (g.higher ? g.value >= g.target : g.value <= g.target) ? 'yes' : 'no'
    lines.push(`| ${g.goal} | ${g.value === undefined ? 'n/a' : g.unit ? `${fmt(g.value)} ${g.unit}` : `${fmt(g.value)}×`} | ${met} |`)
  }
  lines.push('', 'How each store is driven:', '')
  for (const s of result.stores) lines.push(`- **${s.label}**: ${s.api}.`)
  return `${lines.join('\n')}\n`
}

export function writeConcurrent(result, outDir, latest = true) {
  const date = new Date().toISOString()
  const meta = `${date.slice(0, 16).replace('T', ' ')} UTC, Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}.`
  const md = concurrentMarkdown(result, meta)
  const json = `${JSON.stringify({ date, node: process.versions.node, ...result, goals: goals(result) }, null, 2)}\n`
  mkdirSync(outDir, { recursive: true })
  const stamp = date.replace(/[:.]/g, '-').replace(/Z$/, '')
  writeFileSync(join(outDir, `concurrent-${stamp}.md`), md)
  writeFileSync(join(outDir, `concurrent-${stamp}.json`), json)
  if (latest) {
    copyFileSync(join(outDir, `concurrent-${stamp}.md`), join(outDir, 'latest-concurrent.md'))
    copyFileSync(join(outDir, `concurrent-${stamp}.json`), join(outDir, 'latest-concurrent.json'))
  }
  return md
}

export function parseConcurrentArgs(args) {
  const o = {}
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes('=') ? args[i].split(/=(.*)/s) : [args[i], undefined]
    const value = () => inline ?? args[++i]
    if (flag === '--writers') o.writers = value().split(',').map(Number)
    else if (flag === '--writes') o.writes = Number(value())
    else if (flag === '--stores')
      o.stores = value()
        .split(',')
        .map(
          (id) =>
            STORES.find((s) => s.id === id) ??
            (() => {
              throw new Error(`unknown store ${id}`)
            })(),
        )
    else if (flag === '--runs') o.runs = Number(value())
    else if (flag === '--tmp') o.tmp = resolve(value())
    else if (flag === '--out') o.out = resolve(value())
    else if (flag === '--no-latest') o.latest = false
    else if (flag !== '--')
      throw new Error(`unknown option ${args[i]}\nusage: concurrent [--runs R] [--tmp DIR] [--out DIR] [--no-latest]\n${CONCURRENT_USAGE}`)
  }
  return o
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const o = parseConcurrentArgs(process.argv.slice(2))
  const result = runConcurrent(o)
  process.stdout.write(writeConcurrent(result, o.out ?? resolve(here, '..', '..', 'results'), o.latest !== false))
}
