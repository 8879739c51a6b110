// Commit-and-die worker: commits N times, one key each (durability as given), printing
//   acked <txid>    after each commit() returned
// and then SIGKILLs itself: the file is left as a killed writer leaves it (no close,
// so no checkpoint). Commit 34 writes the value MARKER-34 (a test can find its bytes).
// Usage: node commit-and-die.mjs FILE COUNT DURABILITY(fsync|none)
import { open } from '@dbdb/dbdb'
import { line, run } from './common.mjs'

const [file, count, durability] = process.argv.slice(2)
run(() => {
  const db = open(file, { durability })
  db.transaction(() => {
    for (let i = 0; i < 500; i++) db.set(`k${String(i).padStart(4, '0')}`, `value ${i}`)
  })
  line(`acked ${db.txid}`)
  for (let txid = 2; txid <= Number(count); txid++) {
    if (txid === 34) db.set('k0250', 'MARKER-34')
    else db.set(`z${String(txid).padStart(2, '0')}`, txid)
    db.commit()
    line(`acked ${db.txid}`)
  }
  process.kill(process.pid, 'SIGKILL')
})
