// Medians over runs and ratios to the better-sqlite3 baseline of the same run.

export function median(values) {
  const xs = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (xs.length === 0) return null
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

/** value / baseline, or null when either is missing or the baseline is zero. */
export function ratio(value, baseline) {
  if (typeof value !== 'number' || typeof baseline !== 'number' || baseline === 0) return null
  return value / baseline
}

/** Per figure: the median over runs, plus min and max to show the spread. */
export function summarize(runs, figureKeys) {
  const out = {}
  for (const key of figureKeys) {
    const xs = runs.map((r) => r.figures?.[key]).filter((x) => typeof x === 'number')
    out[key] = { median: median(xs), min: xs.length ? Math.min(...xs) : null, max: xs.length ? Math.max(...xs) : null, n: xs.length }
  }
  return out
}
