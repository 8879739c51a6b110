// Every store and variant the benchmark runs. Pure data: importing it loads no store.
// `durable` says whether a commit returns only once it is on disk; each target is
// compared with better-sqlite3 in the same mode (FULL for durable, OFF for no-sync).

const dbdb = []
for (const tree of ['bplus', 'binary']) {
  for (const codec of ['msgpack', 'json']) {
    for (const durability of ['fsync', 'none']) {
      dbdb.push({
        id: `dbdb-${tree}-${codec}-${durability}`,
        family: 'dbdb',
        durable: durability === 'fsync',
        options: { tree, codec, durability },
        label: `DBDB ${tree} ${codec} ${durability}`,
      })
    }
  }
}

export const TARGETS = [
  ...dbdb,
  { id: 'lmdb-sync', family: 'lmdb', durable: true, label: 'lmdb sync' },
  { id: 'lmdb-nosync', family: 'lmdb', durable: false, label: 'lmdb noSync' },
  { id: 'level-sync', family: 'level', durable: true, label: 'classic-level sync' },
  { id: 'level-nosync', family: 'level', durable: false, label: 'classic-level no-sync' },
  { id: 'sqlite-full', family: 'sqlite', durable: true, label: 'better-sqlite3 FULL' },
  { id: 'sqlite-off', family: 'sqlite', durable: false, label: 'better-sqlite3 OFF' },
]

/** The better-sqlite3 target every figure of `target` is divided by. */
export function baselineOf(target) {
  return target.durable ? 'sqlite-full' : 'sqlite-off'
}

export function targetById(id) {
  const t = TARGETS.find((x) => x.id === id)
  if (t === undefined) throw new Error(`unknown target ${id}; known: ${TARGETS.map((x) => x.id).join(', ')}`)
  return t
}

/**
 * Targets picked by a comma list of ids or id prefixes ending at a dash
 * ('sqlite' -> sqlite-full and sqlite-off, 'dbdb-bplus' -> the four B+ tree variants).
 * The better-sqlite3 baselines of the picked modes are always added.
 */
export function selectTargets(only) {
  if (!only) return { targets: TARGETS, added: [] }
  const wanted = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const picked = new Set()
  for (const w of wanted) {
    const matches = TARGETS.filter((t) => t.id === w || t.id.startsWith(`${w}-`))
    if (matches.length === 0) throw new Error(`--only ${w}: no such target; known: ${TARGETS.map((t) => t.id).join(', ')}`)
    for (const m of matches) picked.add(m.id)
  }
  const added = []
  for (const id of [...picked]) {
    const base = baselineOf(targetById(id))
    if (!picked.has(base)) {
      picked.add(base)
      added.push(base)
    }
  }
  return { targets: TARGETS.filter((t) => picked.has(t.id)), added }
}
