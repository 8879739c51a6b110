// The figures each child reports, in report order. `kind` decides the unit; every figure
// is "lower is better", so a ratio to better-sqlite3 below 1 means better than it.

export const FIGURES = [
  { key: 'bulkLoadMs', kind: 'ms', label: 'bulk load', title: (w) => `bulk load ${w.n} entries, one transaction` },
  {
    key: 'bytesAfterLoad',
    kind: 'bytes',
    label: 'size after load',
    title: (w) => `disk use right after the bulk load of ${w.n} entries (every file of the store, like du)`,
  },
  {
    key: 'commitsMs',
    kind: 'ms',
    label: 'small commits',
    title: (w) => `${w.commits} commits of one new key each (durable or no-sync per the row's mode)`,
  },
  { key: 'getsMs', kind: 'ms', label: 'point gets', title: (w) => `${w.gets} random point gets, 10% misses` },
  { key: 'scanMs', kind: 'ms', label: 'full scan', title: () => 'one full ordered scan of every entry' },
  { key: 'rangesMs', kind: 'ms', label: 'range scans', title: (w) => `${w.ranges} range scans of ${w.rangeLength} entries` },
  {
    key: 'overwriteMs',
    kind: 'ms',
    label: 'overwrites',
    title: (w) => `${w.rounds} rounds of overwriting all ${w.n} bulk-loaded keys, one transaction each`,
  },
  {
    key: 'bytesBeforeCompact',
    kind: 'bytes',
    label: 'size before compaction',
    title: () => 'disk use after the overwrites (every file of the store, like du)',
  },
  { key: 'compactMs', kind: 'ms', label: 'compaction', title: () => "time of the store's own compaction" },
  { key: 'bytesAfterCompact', kind: 'bytes', label: 'size after compaction', title: () => 'disk use after compaction' },
  { key: 'reopenMs', kind: 'ms', label: 'reopen + 1 get', title: () => 'a new process opens the store and reads one key (after imports)' },
  { key: 'importMs', kind: 'ms', label: 'import', title: () => "that new process imports the store's module (before the reopen)" },
  {
    key: 'peakRssBytes',
    kind: 'bytes',
    label: 'peak RSS',
    title: () => 'peak resident memory of the child process (VmHWM), harness data included',
  },
]

export const FIGURE_KEYS = FIGURES.map((f) => f.key)
