// The adapter contract, and loading one store family on demand (so a child process
// loads only its own store's native module).
//
// An adapter module exports `api` (a sentence on how it uses the store, for the report)
// and `open(dir, target)`, resolving to a store with:
//   bulkLoad(keys, values)        all entries in one transaction
//   commitSmall(key, value)       one commit (durable or not, per target.durable)
//   get(key)                      the value or undefined
//   scanAll(visit)                visit(key, value) for every entry in key order
//   range(startKey, count, visit) the first `count` entries with key >= startKey
//   overwriteAll(keys, values)    all entries in one transaction
//   compact()                     the store's own compaction; returns { na: reason } if it has none
//   fileBytes()                   { allocated, apparent } bytes of every file the store uses
//   close()
// Any of them may return a promise (the runner awaits only when one is returned).
// An adapter may also export `probe()`, which loads its store's native part (when
// importing the module does not), so that a peer that cannot run is known before a run.

export const FAMILIES = ['dbdb', 'lmdb', 'sqlite', 'level']

export async function loadAdapter(family) {
  if (!FAMILIES.includes(family)) throw new Error(`unknown store family ${family}`)
  return import(`./${family}.mjs`)
}

/**
 * The package each peer family needs. They are optional dependencies: a machine
 * without a C/C++ toolchain (better-sqlite3 compiles where it has no prebuilt
 * binary) or on a platform without prebuilt binaries installs without them.
 */
export const PEERS = { lmdb: 'lmdb', sqlite: 'better-sqlite3', level: 'classic-level' }

/**
 * The adapter of `family`, or why its peer cannot run here (its package is not
 * installed, or its native part does not load): `{ adapter }` or `{ unavailable }`.
 */
export async function loadAvailable(family) {
  try {
    const adapter = await loadAdapter(family)
    await adapter.probe?.()
    return { adapter }
  } catch (err) {
    const peer = PEERS[family]
    if (peer === undefined) throw err
    const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(`'${peer}'`)
    const why = missing
      ? 'is not installed'
      : `does not load (${err?.code ? `${err.code}: ` : ''}${String(err?.message ?? err).split('\n')[0]})`
    return { unavailable: `${peer} ${why}; it is an optional dependency of the benchmark (see packages/bench/README.md)` }
  }
}
