// The results tables of the READMEs, drawn from results/latest.json and
// results/latest-concurrent.json, and the blocks of a Markdown file they go into.
//
// A block is everything between two marker comments:
//   <!-- bench:NAME:start OPTION=VALUE ... -->
//   ...generated, replaced at every regeneration...
//   <!-- bench:NAME:end -->
// NAME is `latest` (the main workload, from latest.json) or `concurrent` (the concurrent
// writers workload, from latest-concurrent.json). Options of `latest`: `mode=durable`
// (default) or `mode=nosync`, and `dbdb=default` (default: only DBDB's default variant
// beside the peers) or `dbdb=all` (every DBDB variant). Options of `concurrent`:
// `writers=1,64` (default every C that was run) and `at=64` (the C of the latency columns).

import { formatBytes, formatMs, formatRatio } from '../format.mjs'

/** DBDB's default variant: what `open()` gives without options. */
export const DEFAULT_TARGET = 'dbdb-bplus-msgpack-fsync'
const DEFAULT_NOSYNC = 'dbdb-bplus-msgpack-none'

const BASELINE_LABEL = {
  'sqlite-full': 'better-sqlite3, WAL, synchronous=FULL',
  'sqlite-off': 'better-sqlite3, WAL, synchronous=OFF',
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
/** "26 November 2026" from an ISO date. */
function dayOf(iso) {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`
}

const timeCell = (t, key) => {
  const v = t.median?.[key]
  if (typeof v !== 'number') return 'n/a'
  return t.id === t.baseline ? formatMs(v) : `${formatMs(v)} (${formatRatio(t.ratio?.[key])})`
}

const sizeCell = (t, key) => formatBytes(t.median?.[key])

/** "136 / 22.5 MiB": the unit once when both sizes have it. */
function beforeAfter(before, after) {
  const unit = / [KM]iB$/.exec(after)?.[0]
  return unit !== undefined && before.endsWith(unit) ? `${before.slice(0, -unit.length)} / ${after}` : `${before} / ${after}`
}

function storeCell(t) {
  const name =
    t.id === DEFAULT_TARGET || t.id === DEFAULT_NOSYNC ? `**${t.id}** (default${t.durable ? '' : ' with durability none'})` : t.id
  const named = BASELINE_LABEL[t.id] ? `${name} (${BASELINE_LABEL[t.id]})` : name
  return t.ok === false ? `~~${named}~~ (failed its checks)` : named
}

/** The rows a `latest` block shows, in the report's order. */
export function latestRows(report, { mode = 'durable', dbdb = 'default' } = {}) {
  if (mode !== 'durable' && mode !== 'nosync') throw new Error(`bench:latest: mode is durable or nosync, not ${mode}`)
  if (dbdb !== 'default' && dbdb !== 'all') throw new Error(`bench:latest: dbdb is default or all, not ${dbdb}`)
  const durable = mode === 'durable'
  return report.targets.filter(
    (t) => t.durable === durable && (t.family !== 'dbdb' || dbdb === 'all' || t.id === DEFAULT_TARGET || t.id === DEFAULT_NOSYNC),
  )
}

/** The main workload's table: times with their ratio to better-sqlite3, sizes, memory. */
export function latestTable(report, options = {}) {
  const m = report.meta
  const rows = latestRows(report, options)
  const durable = (options.mode ?? 'durable') === 'durable'
  const head = [
    'store',
    'bulk load',
    'size after load',
    'small commits',
    'point gets',
    'full scan',
    'range scans',
    'overwrites',
    'size before / after compaction',
    'reopen + 1 get',
    'import',
    'peak RSS',
  ]
  const lines = [
    `\`pnpm bench\` of ${dayOf(m.date)}: N = ${m.n.toLocaleString('en-US')} entries (16-byte keys, 100-byte values), ` +
      `medians of ${m.runs} run${m.runs === 1 ? '' : 's'}, each store in its own process, Node ${m.node} on ${m.cpus} × ${m.cpuModel}. ` +
      `${durable ? 'Every commit synced' : 'Nothing synced'}; in brackets the ratio to better-sqlite3 ` +
      `(WAL, synchronous=${durable ? 'FULL' : 'OFF'}) in the same round: below 1× is faster.`,
    '',
    `| ${head.join(' | ')} |`,
    `| --- |${' ---: |'.repeat(head.length - 1)}`,
  ]
  for (const t of rows) {
    const cells = [
      storeCell(t),
      timeCell(t, 'bulkLoadMs'),
      sizeCell(t, 'bytesAfterLoad'),
      timeCell(t, 'commitsMs'),
      timeCell(t, 'getsMs'),
      timeCell(t, 'scanMs'),
      timeCell(t, 'rangesMs'),
      timeCell(t, 'overwriteMs'),
      beforeAfter(sizeCell(t, 'bytesBeforeCompact'), sizeCell(t, 'bytesAfterCompact')),
      timeCell(t, 'reopenMs'),
      timeCell(t, 'importMs'),
      sizeCell(t, 'peakRssBytes'),
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  for (const t of (report.unavailable ?? []).filter((u) => u.durable === durable))
    lines.push(`| ${t.id} | unavailable: ${t.reason} |${' |'.repeat(head.length - 2)}`)
  return lines.join('\n')
}

/** The machine's sync costs (machine.mjs) as a sentence, or undefined for results without them. */
export function syncCostsSentence(machine) {
  if (machine === undefined) return undefined
  const us = (x) => `${x.toLocaleString('en-US')} µs`
  return (
    `On this machine a 4 KiB write and its fdatasync take ${us(machine.syncUs)} on the main thread and ${us(machine.poolSyncUs)} ` +
    `with the fdatasync on libuv's thread pool; a thread-pool round trip that does no I/O takes ${us(machine.poolRoundTripUs)} (medians, apart from any store).`
  )
}

/**
 * The concurrent writers table, a row per store: writes/s at each C (default every C
 * that was run), then latency, event loop delay and syncs per write at C = `at`
 * (default 64, or the largest C).
 */
export function concurrentTable(result, { writers, at } = {}) {
  const counts = (text, name) => {
    const list = String(text).split(',').map(Number)
    if (list.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`bench:concurrent: ${name} is a list of counts, not ${text}`)
    return list
  }
  const measured = result.rows.filter((r) => r.unavailable === undefined)
  const cs = writers === undefined ? [...new Set(measured.map((r) => r.c))].sort((a, b) => a - b) : counts(writers, 'writers')
  const atC = at === undefined ? (cs.includes(64) ? 64 : Math.max(...cs)) : counts(at, 'at')[0]
  const fmt = (x, d = 2) => (typeof x !== 'number' || Number.isNaN(x) ? 'n/a' : x.toFixed(d))
  const head = [
    'store',
    'durable when acked',
    ...cs.map((c) => `writes/s, C = ${c}`),
    `p50 / p99 ack ms, C = ${atC}`,
    `event loop p99 ms, C = ${atC}`,
    `fsync calls per write, C = ${atC}`,
  ]
  const lines = [
    `\`pnpm bench\` of ${dayOf(result.date)}: C writers, each awaiting one-key writes in turn (16-byte keys, 100-byte values), ` +
      `${result.writes.toLocaleString('en-US')} writes, medians of ${result.runs} run${result.runs === 1 ? '' : 's'}, each store in its own process, Node ${result.node}.`,
    '',
    `| ${head.join(' | ')} |`,
    `| --- | --- |${' ---: |'.repeat(head.length - 2)}`,
  ]
  for (const s of result.stores) {
    const rows = result.rows.filter((r) => r.store === s.id)
    if (rows.length === 0) continue
    const first = [s.label, s.durable ? 'yes' : 'no']
    if (rows.some((r) => r.unavailable !== undefined)) {
      lines.push(`| ${[...first, 'unavailable (not installed)', ...Array(head.length - 3).fill('')].join(' | ')} |`)
      continue
    }
    const row = (c) => rows.find((r) => r.c === c)
    const a = row(atC)
    const cells = [
      ...first,
      ...cs.map((c) => (row(c) ? Math.round(row(c).writesPerSec).toLocaleString('en-US') : 'n/a')),
      a ? `${fmt(a.p50)} / ${fmt(a.p99)}` : 'n/a',
      fmt(a?.loopP99),
      fmt(a?.syncsPerWrite, 3),
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  const costs = syncCostsSentence(result.machine)
  if (costs) lines.push('', costs)
  return lines.join('\n')
}

/** `OPTION=VALUE OPTION=VALUE` of a start marker. */
function parseOptions(text, where) {
  const options = {}
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([a-z]+)=(\S+)$/.exec(word)
    if (!m) throw new Error(`${where}: "${word}" is not OPTION=VALUE`)
    options[m[1]] = m[2]
  }
  return options
}

const MARKER = /<!-- bench:([a-z-]+):(start|end)((?:\s+[^\s>]+)*)\s*-->/g

/**
 * `text` with every block's content replaced by `render[NAME](options)`. Throws on a
 * block of an unknown name, a start without its end, an end without its start, or
 * options on an end marker.
 */
export function fillBlocks(text, render, where = 'the file') {
  let out = ''
  let at = 0
  let open = null
  for (const m of text.matchAll(MARKER)) {
    const [marker, name, kind, options] = m
    if (kind === 'start') {
      if (open) throw new Error(`${where}: bench:${open.name} has no end before bench:${name} starts`)
      if (render[name] === undefined) throw new Error(`${where}: unknown block bench:${name} (known: ${Object.keys(render).join(', ')})`)
      open = { name, options: parseOptions(options, `${where}: bench:${name}`), contentStart: m.index + marker.length }
      continue
    }
    if (open === null || open.name !== name) throw new Error(`${where}: ${marker} without its start`)
    if (options.trim()) throw new Error(`${where}: ${marker} takes no options`)
    out += `${text.slice(at, open.contentStart)}\n${render[name](open.options).trimEnd()}\n`
    at = m.index
    open = null
  }
  if (open) throw new Error(`${where}: bench:${open.name} has no <!-- bench:${open.name}:end -->`)
  return out + text.slice(at)
}

/** The renderers of the two block names, over the two result files. */
export function renderers({ latest, concurrent }) {
  const need = (x, file) => {
    if (x === undefined) throw new Error(`a block needs results/${file}, which is missing`)
    return x
  }
  return {
    latest: (o) => latestTable(need(latest, 'latest.json'), o),
    concurrent: (o) => concurrentTable(need(concurrent, 'latest-concurrent.json'), o),
  }
}
