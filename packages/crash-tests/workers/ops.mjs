// Stale-writer helper ("process 2"): opens the database and runs one transaction(fn)
// that sets the keys of `set`, deletes the keys of `del` and adds 1 to each key of
// `inc` (read-modify-write, missing counts as 0); prints "acked <txid>" and exits 0.
// On an error it prints "error <code>" (and the stack on stderr) and exits 1.
// Usage: node ops.mjs FILE '{"set":{"k":1},"del":["j"],"inc":["x"],"lockTimeoutMs":100}'
import { open } from '@dbdb/dbdb'
import { line } from './common.mjs'

const [file, json] = process.argv.slice(2)
const ops = JSON.parse(json)
try {
  const db = open(file, ops.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: ops.lockTimeoutMs })
  let base = -1
  db.transaction(() => {
    base = db.txid
    for (const [k, v] of Object.entries(ops.set ?? {})) db.set(k, v)
    for (const k of ops.del ?? []) db.delete(k)
    for (const k of ops.inc ?? []) db.set(k, (db.get(k) ?? 0) + 1)
  })
  line(`acked ${base + 1}`)
  db.close()
} catch (err) {
  line(`error ${err?.code ?? 'unknown'}`)
  process.stderr.write(`${err?.stack ?? err}\n`)
  process.exit(1)
}
