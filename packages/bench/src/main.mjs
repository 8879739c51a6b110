#!/usr/bin/env node
// `pnpm bench`: runs every store/variant in child processes, then writes the Markdown
// table, the JSON file and the SVG chart. Progress goes to stderr; the Markdown table
// also goes to stdout.

import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs, USAGE } from './args.mjs'
import { parseConcurrentArgs, runConcurrent, writeConcurrent } from './concurrent/run.mjs'
import { formatMs } from './format.mjs'
import { onRamDisk } from './fsutil.mjs'
import { toJson } from './report/json.mjs'
import { toMarkdown } from './report/markdown.mjs'
import { buildReport } from './report/model.mjs'
import { toSvg } from './report/svg.mjs'
import { runAll } from './runner.mjs'
import { selectTargets, TARGETS } from './targets.mjs'

const log = (msg) => process.stderr.write(`${msg}\n`)

let o
try {
  o = parseArgs(process.argv.slice(2))
} catch (err) {
  log(err.message)
  process.exit(1)
}
if (o.help) {
  console.log(USAGE)
  process.exit(0)
}
if (o.list) {
  for (const t of TARGETS) console.log(`${t.id.padEnd(28)} ${t.durable ? 'durable' : 'no-sync'}  ${t.label}`)
  process.exit(0)
}

let selection
try {
  selection = selectTargets(o.only)
} catch (err) {
  log(err.message)
  process.exit(1)
}
/** The concurrent writers workload, after the main one (its own table and files). */
function concurrent() {
  log('\nconcurrent writers workload')
  const result = runConcurrent({ ...parseConcurrentArgs(o.concurrentArgs), runs: o.runs, tmp: o.tmp, timeoutSec: o.timeout })
  process.stdout.write(`\n${writeConcurrent(result, o.out, o.latest)}`)
}
if (o.concurrentOnly) {
  mkdirSync(o.tmp, { recursive: true })
  concurrent()
  process.exit(0)
}
const { targets, added } = selection
if (added.length) log(`added the better-sqlite3 baseline(s) ${added.join(', ')}: every figure is a ratio to them`)
mkdirSync(o.tmp, { recursive: true })
const ramDisk = onRamDisk(o.tmp)
if (ramDisk) log(`WARNING: ${o.tmp} is a RAM disk: fsync costs nothing there, so durable figures mean nothing. Use --tmp on a real disk.`)

const settings = { commits: o.commits, gets: o.gets, ranges: o.ranges, rangeLength: o.rangeLength, rounds: o.rounds }
log(`DBDB bench: N=${o.n}, ${o.runs} run(s) of ${targets.length} targets (${targets.map((t) => t.id).join(', ')}), stores in ${o.tmp}`)
const started = performance.now()
const runs = await runAll(targets, { n: o.n, seed: o.seed, settings, tmp: o.tmp, timeout: o.timeout, runs: o.runs }, log)
const durationMs = performance.now() - started

const meta = {
  date: new Date().toISOString(),
  node: process.versions.node,
  platform: `${process.platform} ${process.arch}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model?.trim() ?? 'unknown CPU',
  memTotal: totalmem(),
  n: o.n,
  seed: o.seed,
  runs: o.runs,
  settings,
  tmp: o.tmp,
  ramDisk,
  durationMs,
  only: o.only || null,
}
const workload = { n: o.n, ...settings, rangeLength: Math.min(o.rangeLength, Math.max(1, Math.floor((o.n + o.commits) / 2))) }
const report = buildReport({ targets, runs, meta, workload })

mkdirSync(o.out, { recursive: true })
const stamp = meta.date.replace(/[:.]/g, '-').replace(/Z$/, '')
const files = { md: toMarkdown(report), json: toJson(report), svg: toSvg(report) }
for (const [ext, text] of Object.entries(files)) {
  const path = join(o.out, `bench-${stamp}.${ext}`)
  writeFileSync(path, text)
  if (o.latest) copyFileSync(path, join(o.out, `latest.${ext}`))
}
process.stdout.write(files.md)
log(`\nwrote ${join(o.out, `bench-${stamp}`)}.{md,json,svg}${o.latest ? ' and latest.{md,json,svg}' : ''} in ${formatMs(durationMs)}`)
if (report.unavailable.length) log(`unavailable here (not installed): ${report.unavailable.map((t) => t.id).join(', ')}`)
if (o.concurrent) concurrent()
const failed = report.targets.filter((t) => !t.ok)
if (failed.length) {
  log(`FAILED correctness checks or errors: ${failed.map((t) => t.id).join(', ')}`)
  process.exitCode = 2
}
