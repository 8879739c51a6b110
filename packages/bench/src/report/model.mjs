// Turns the raw runs into the report every writer draws from: per target the median of
// each figure over its runs, its spread, and its ratio to better-sqlite3 in the same mode.
// A ratio is the median of per-round ratios: each run of a store is divided by the
// better-sqlite3 run of the same round, so both saw the same state of the machine.

import { FIGURE_KEYS, FIGURES } from '../figures.mjs'
import { median, summarize } from '../stats.mjs'
import { baselineOf } from '../targets.mjs'

function mergeChecks(runs) {
  const byName = new Map()
  for (const run of runs) {
    for (const c of run.checks ?? []) {
      const m = byName.get(c.name) ?? { name: c.name, passed: 0, failed: 0, examples: [] }
      m.passed += c.passed
      m.failed += c.failed
      for (const e of c.examples) if (m.examples.length < 3) m.examples.push(e)
      byName.set(c.name, m)
    }
  }
  return [...byName.values()]
}

export function buildReport({ targets, runs, meta, workload }) {
  const out = []
  /** Targets whose store is not installed here (an optional peer): listed, not run. */
  const unavailable = []
  for (const target of targets) {
    const rs = runs.get(target.id)
    const missing = rs.find((r) => r.unavailable)
    if (missing) {
      unavailable.push({ id: target.id, family: target.family, label: target.label, durable: target.durable, reason: missing.unavailable })
      continue
    }
    const baseId = baselineOf(target)
    const baseRuns = runs.get(baseId) ?? []
    const spread = summarize(rs, FIGURE_KEYS)
    const medianOf = {}
    const ratioOf = {}
    for (const key of FIGURE_KEYS) {
      medianOf[key] = spread[key].median
      const perRound = rs.map((r) => {
        const b = baseRuns.find((x) => x.round === r.round)
        const v = r.figures?.[key]
        const bv = b?.figures?.[key]
        return typeof v === 'number' && typeof bv === 'number' && bv > 0 ? v / bv : null
      })
      ratioOf[key] = median(perRound)
    }
    const checks = mergeChecks(rs)
    const errors = rs.filter((r) => r.error).map((r) => `run ${r.round + 1}: ${r.error}`)
    const notes = [...new Set(rs.flatMap((r) => r.notes ?? []))]
    out.push({
      id: target.id,
      family: target.family,
      label: target.label,
      durable: target.durable,
      baseline: baseId,
      api: rs.find((r) => r.api)?.api,
      ok: errors.length === 0 && rs.every((r) => r.ok) && checks.every((c) => c.failed === 0),
      checksPassed: checks.reduce((a, c) => a + c.passed, 0),
      checksFailed: checks.reduce((a, c) => a + c.failed, 0),
      median: medianOf,
      ratio: ratioOf,
      spread,
      checks,
      errors,
      notes,
      runs: rs,
    })
  }
  return {
    meta,
    figures: FIGURES.map((f) => ({ key: f.key, kind: f.kind, label: f.label, title: f.title(workload) })),
    targets: out,
    unavailable,
  }
}

/** Median RSS of the children before they opened their store: the harness's own data. */
export function harnessRss(report) {
  return median(report.targets.flatMap((t) => t.runs.map((r) => r.extra?.harnessRssBytes)))
}
