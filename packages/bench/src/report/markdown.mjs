// The Markdown report: one table per durability mode, each cell "median (ratio to
// better-sqlite3 in that mode)", then what failed, what was n/a, and how each store was used.

import { KEY_BYTES, VALUE_BYTES } from '../data.mjs'
import { formatBytes, formatCount, formatMs, formatRatio } from '../format.mjs'
import { harnessRss } from './model.mjs'

function cell(fig, t) {
  const v = t.median[fig.key]
  if (typeof v !== 'number') return 'n/a'
  const value = fig.kind === 'bytes' ? formatBytes(v) : formatMs(v)
  return t.id === t.baseline ? `${value} (1×)` : `${value} (${formatRatio(t.ratio[fig.key])})`
}

function table(report, targets) {
  const head = ['store', ...report.figures.map((f) => f.label), 'checks']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`]
  for (const t of targets) {
    const checks = t.ok ? `✓ ${formatCount(t.checksPassed)}` : `**✗ ${formatCount(t.checksFailed)} failed**`
    lines.push(`| ${t.ok ? t.id : `~~${t.id}~~`} | ${report.figures.map((f) => cell(f, t)).join(' | ')} | ${checks} |`)
  }
  return lines.join('\n')
}

export function toMarkdown(report) {
  const m = report.meta
  const s = m.settings
  const out = []
  out.push(`# DBDB benchmark`)
  out.push('')
  out.push(
    `N = ${formatCount(m.n)} entries (16-byte keys, 100-byte values), seed ${m.seed}, ${m.runs} run(s) per store, each in its own process; ` +
      `every figure is the median over runs, and (in brackets) its ratio to better-sqlite3 in the same durability mode in the same round ` +
      `(below 1× is better than better-sqlite3, for every column: times, sizes and memory alike). ` +
      `The raw bytes of all keys and values are ${formatBytes(m.n * (KEY_BYTES + VALUE_BYTES))}, the floor for every size column.`,
  )
  out.push('')
  out.push(
    `${m.date} · Node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${formatBytes(m.memTotal)} RAM · stores in ${m.tmp}${m.ramDisk ? ' (**a RAM disk: durable figures are meaningless**)' : ''} · took ${formatMs(m.durationMs)}`,
  )
  out.push('')
  out.push('Columns:')
  for (const f of report.figures) out.push(`- **${f.label}**: ${f.title}`)
  const harness = harnessRss(report)
  if (harness) {
    out.push('')
    out.push(
      `Peak RSS includes ${formatBytes(harness)} that every child holds before it opens its store (Node itself and the harness's copy of the data and workload, median over all runs); ` +
        `lmdb's also counts the pages of its memory-mapped file that were read, which is how lmdb reads.`,
    )
  }
  out.push('')
  const durable = report.targets.filter((t) => t.durable)
  const nosync = report.targets.filter((t) => !t.durable)
  if (durable.length) {
    out.push(`## Durable mode (every commit synced; ratios to better-sqlite3 WAL + synchronous=FULL)`)
    out.push('')
    out.push(table(report, durable))
    out.push('')
  }
  if (nosync.length) {
    out.push(`## No-sync mode (nothing synced; ratios to better-sqlite3 WAL + synchronous=OFF)`)
    out.push('')
    out.push(table(report, nosync))
    out.push('')
  }
  const failed = report.targets.filter((t) => !t.ok)
  out.push('## Correctness')
  out.push('')
  if (failed.length === 0) {
    out.push(
      `Every store passed every check (values read back, misses, counts, key order, values after overwrites and compaction, reopen): ${formatCount(report.targets.reduce((a, t) => a + t.checksPassed, 0))} checks.`,
    )
  } else {
    out.push('These stores returned wrong results or failed; their figures do not count (struck out above):')
    out.push('')
    for (const t of failed) {
      for (const e of t.errors) out.push(`- **${t.id}**: ${e}`)
      for (const c of t.checks.filter((c) => c.failed))
        out.push(
          `- **${t.id}**: ${c.name}: ${c.failed} failed, e.g. ${c.examples.map((e) => `\`${e.replaceAll('`', "'").slice(0, 300)}\``).join('; ')}`,
        )
    }
  }
  out.push('')
  const unavailable = report.unavailable ?? []
  if (unavailable.length) {
    out.push('## Unavailable here')
    out.push('')
    out.push(
      'Not run: their store is not installed on this machine (figures of the others are unaffected; a ratio to a missing better-sqlite3 is n/a).',
    )
    out.push('')
    for (const t of unavailable) out.push(`- **${t.id}**: ${t.reason}`)
    out.push('')
  }
  const notes = report.targets.filter((t) => t.notes.length)
  if (notes.length) {
    out.push('## n/a')
    out.push('')
    for (const t of notes) out.push(`- **${t.id}**: ${t.notes.join('; ')}`)
    out.push('')
  }
  out.push('## How each store was used')
  out.push('')
  const seen = new Set()
  for (const t of report.targets) {
    if (seen.has(t.family) || !t.api) continue
    seen.add(t.family)
    out.push(`- **${t.family}**: ${t.api}`)
  }
  out.push('')
  out.push(`Settings: ${JSON.stringify(s)}. Raw runs, spreads (min/max) and every check are in the JSON file.`)
  out.push('')
  return out.join('\n')
}
