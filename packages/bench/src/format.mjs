// Number formatting shared by progress lines and reports.

export function formatMs(ms) {
  if (typeof ms !== 'number') return 'n/a'
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

export function formatBytes(bytes) {
  if (typeof bytes !== 'number') return 'n/a'
  const mib = bytes / (1024 * 1024)
  if (mib >= 100) return `${mib.toFixed(0)} MiB`
  if (mib >= 1) return `${mib.toFixed(1)} MiB`
  return `${(bytes / 1024).toFixed(0)} KiB`
}

export function formatRatio(r) {
  if (typeof r !== 'number') return 'n/a'
  if (r >= 100) return `${r.toFixed(0)}×`
  if (r >= 10) return `${r.toFixed(1)}×`
  return `${r.toFixed(2)}×`
}

export function formatCount(n) {
  return n.toLocaleString('en-US')
}
