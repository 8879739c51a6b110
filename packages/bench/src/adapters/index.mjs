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

export const FAMILIES = ['dbdb', 'lmdb', 'sqlite', 'level']

export async function loadAdapter(family) {
  if (!FAMILIES.includes(family)) throw new Error(`unknown store family ${family}`)
  return import(`./${family}.mjs`)
}
