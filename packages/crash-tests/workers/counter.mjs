// Counter worker: waits for the start signal, opens the (maybe not yet existing)
// database and does N read-modify-write increments, each in one transaction(fn).
// After each returns it prints
//   acked <txid> <j> <value>
// where txid is the commit's transaction id: inside transaction(fn) the handle holds
// the writer lock and db.txid is the newest commit, so this commit is db.txid + 1.
// Usage: node counter.mjs FILE GO_FILE WORKER_ID N LOCK_TIMEOUT_MS
import { open } from '@dbdb/dbdb'
import { line, run, waitForFile } from './common.mjs'

const [file, go, id, n, lockTimeoutMs] = process.argv.slice(2)
run(() => {
  line('ready')
  waitForFile(go)
  const db = open(file, { lockTimeoutMs: Number(lockTimeoutMs) })
  line('opened')
  for (let j = 0; j < Number(n); j++) {
    let base = -1
    let value = -1
    db.transaction(() => {
      base = db.txid
      const n = db.get('counter') ?? 0
      db.set('counter', n + 1)
      db.set(`inc:${id}:${j}`, n + 1)
      value = n + 1
    })
    line(`acked ${base + 1} ${j} ${value}`)
  }
  db.close()
  line('done')
})
