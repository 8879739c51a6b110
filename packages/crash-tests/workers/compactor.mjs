// Compaction-test compactor: opens the database and compacts it once, printing
//   opened <txid>
//   compacting                                   (right before compact())
//   compacted <before> <after> <txid> <ms>      (after compact() returned)
// The test SIGKILLs it at a seeded instant, or lets it finish while a writer dies.
// Usage: node compactor.mjs FILE KEEP_HISTORY
import { open } from '@dbdb/dbdb'
import { line, run } from './common.mjs'

const [file, keep = '1'] = process.argv.slice(2)
run(() => {
  const db = open(file, { lockTimeoutMs: 30_000 })
  line(`opened ${db.txid}`)
  line('compacting')
  const started = performance.now()
  const info = db.compact(Number(keep) > 1 ? { keepHistory: Number(keep) } : {})
  line(`compacted ${info.before} ${info.after} ${info.txid} ${Math.round(performance.now() - started)}`)
  db.close()
  line('done')
})
