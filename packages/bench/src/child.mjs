#!/usr/bin/env node
// One run of every phase against one store, in its own process:
//   node child.mjs <store> <variant> <N> <seed> <tmpdir> [settings-json]
// Progress goes to stderr; the result is one JSON line on stdout.

import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadAvailable } from './adapters/index.mjs'
import { Checks, hex } from './checks.mjs'
import { makeWorkload } from './data.mjs'
import { formatBytes, formatMs } from './format.mjs'
import { procStatusBytes } from './fsutil.mjs'
import * as phase from './phases.mjs'
import { median } from './stats.mjs'
import { targetById } from './targets.mjs'

const here = dirname(fileURLToPath(import.meta.url))
/** New processes that each reopen the store and read one key (see the reopen step). */
const REOPENS = 5
const [family, variant, nArg, seedArg, tmp, settingsArg] = process.argv.slice(2)
if (!tmp) {
  console.error('usage: node child.mjs <store> <variant> <N> <seed> <tmpdir> [settings-json]')
  process.exit(1)
}
const target = targetById(variant)
if (target.family !== family) throw new Error(`${variant} is a ${target.family} target, not ${family}`)
const n = Number(nArg)
const settings = { commits: 2000, gets: n, ranges: 1000, rangeLength: 1000, rounds: 5, ...JSON.parse(settingsArg ?? '{}') }
const seed = Number(seedArg) >>> 0

const log = (msg) => process.stderr.write(`    ${variant}: ${msg}\n`)
const checks = new Checks()
const figures = {}
const extra = { peakRssAfter: {} }
const notes = []

/** Runs one phase; an exception fails its check and the run goes on with the next phase. */
async function step(name, fn) {
  try {
    return await fn()
  } catch (err) {
    checks.error(name, err)
    log(`${name} FAILED: ${err?.stack ?? err}`)
    return undefined
  } finally {
    // Peak RSS so far, after each phase: shows which phase made the peak.
    extra.peakRssAfter[name] = procStatusBytes('VmHWM')
  }
}

const w = makeWorkload({ n, seed, ...settings })
globalThis.gc?.()
extra.harnessRssBytes = procStatusBytes('VmRSS')
const { adapter, unavailable } = await loadAvailable(family)
if (unavailable !== undefined) {
  // Not a failure: this machine installed without the peer. The runner reports it as unavailable.
  log(`unavailable: ${unavailable}`)
  process.stdout.write(
    `${JSON.stringify({ target: variant, family, durable: target.durable, unavailable, ok: true, figures: {}, notes: [], checks: [] })}\n`,
  )
  process.exit(0)
}
const dir = join(tmp, 'store')
mkdirSync(dir, { recursive: true })

let current = (idx) => w.values[idx]
const expected = (idx) => current(idx)

const store = await step('open', () => adapter.open(dir, target))
if (store) {
  figures.bulkLoadMs = await step('bulk load', () => phase.bulkLoad(store, w))
  log(`bulk load ${n} ${formatMs(figures.bulkLoadMs)}`)
  const loaded = await step('size after load', () => store.fileBytes())
  figures.bytesAfterLoad = loaded?.allocated
  extra.apparentBytesAfterLoad = loaded?.apparent
  figures.commitsMs = await step('small commits', () => phase.smallCommits(store, w))
  log(`${settings.commits} ${target.durable ? 'durable' : 'no-sync'} commits ${formatMs(figures.commitsMs)}`)

  const gets = await step('point gets', () => phase.pointGets(store, w, checks, expected))
  figures.getsMs = gets?.ms
  Object.assign(extra, { getsHits: gets?.hits, getsMisses: gets?.misses })
  log(`${settings.gets} gets ${formatMs(figures.getsMs)}`)
  figures.scanMs = await step('full scan', () => phase.fullScan(store, w, checks, expected))
  log(`full scan ${formatMs(figures.scanMs)}`)
  figures.rangesMs = await step('range scans', () => phase.rangeScans(store, w, checks, expected))
  log(`${settings.ranges} ranges of ${w.rangeLength} ${formatMs(figures.rangesMs)}`)

  const over = await step('overwrites', () => phase.overwrites(store, w, settings.rounds))
  if (over) {
    figures.overwriteMs = over.roundsMs.reduce((a, b) => a + b, 0)
    extra.overwriteRoundsMs = over.roundsMs
    if (settings.rounds > 0) current = (idx) => (idx < w.n ? over.values[idx] : w.values[idx])
  }
  log(`${settings.rounds} overwrite rounds ${formatMs(figures.overwriteMs)}`)
  await step('gets after overwrites', () => phase.sampleGets(store, w, checks, expected, 1000, 'gets after overwrites'))
  const before = await step('size before compaction', () => store.fileBytes())
  figures.bytesBeforeCompact = before?.allocated
  extra.apparentBytesBeforeCompact = before?.apparent

  const compacted = await step('compaction', async () => {
    globalThis.gc?.()
    const t0 = performance.now()
    const r = await store.compact()
    return { ms: performance.now() - t0, na: r?.na }
  })
  if (compacted?.na) {
    notes.push(`compaction n/a: ${compacted.na}`)
    log(`compaction n/a (${compacted.na})`)
  } else if (compacted) {
    figures.compactMs = compacted.ms
    const after = await step('size after compaction', () => store.fileBytes())
    figures.bytesAfterCompact = after?.allocated
    extra.apparentBytesAfterCompact = after?.apparent
    log(
      `compaction ${formatMs(figures.compactMs)}: ${formatBytes(figures.bytesBeforeCompact)} -> ${formatBytes(figures.bytesAfterCompact)}`,
    )
  }
  await step('scan after compaction', () => phase.fullScan(store, w, checks, expected, 'scan after overwrites and compaction'))
  await step('close', () => store.close())

  // Reopen in a new process: open + first get, timed inside that process after its
  // imports. A single new process is at the mercy of the machine (a page fault, another
  // process scheduled), so REOPENS processes each read one key, spread over the key
  // space, and the figure is their median.
  await step('reopen', () => {
    const times = []
    const importTimes = []
    const processTimes = []
    for (let r = 0; r < REOPENS; r++) {
      const idx = w.sorted[Math.floor(((r + 0.5) * w.sorted.length) / REOPENS)]
      const t0 = performance.now()
      const res = spawnSync(process.execPath, [join(here, 'reopen.mjs'), family, variant, dir, hex(w.keys[idx]), hex(expected(idx))], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 120_000,
      })
      processTimes.push(performance.now() - t0)
      const line = res.stdout?.trim().split('\n').pop()
      const out = line ? JSON.parse(line) : { error: `reopen process exited ${res.status ?? res.signal} with no result` }
      if (out.error) throw new Error(out.error)
      checks.ok('reopen reads the stored value', out.ok, () => `reopened value ${out.got}, expected ${hex(expected(idx))}`)
      times.push(out.ms)
      importTimes.push(out.importMs)
    }
    figures.reopenMs = median(times)
    figures.importMs = median(importTimes)
    extra.reopenRunsMs = times
    extra.reopenProcessMs = median(processTimes)
    log(
      `reopen + 1 get ${formatMs(figures.reopenMs)}, median of ${REOPENS} processes (${times.map(formatMs).join(', ')}); import ${formatMs(figures.importMs)}`,
    )
  })
}
figures.peakRssBytes = procStatusBytes('VmHWM')

const result = {
  target: variant,
  family,
  durable: target.durable,
  api: adapter.api,
  ok: checks.failed === 0,
  figures,
  extra,
  notes,
  checks: checks.toJSON(),
}
process.stdout.write(`${JSON.stringify(result)}\n`)
