// Kill-writer worker: opens (creating if missing) the database with default options
// and commits the workload in a loop until killed (or until max commits), printing
//   opening                 right before open()
//   opened <txid> <size>    after open() returned
//   acked <txid> <size>     after each commit() returned
// where size is the file's size then (so the test can tell whether the kill left
// bytes of an unfinished transaction behind).
// Usage: node writer.mjs FILE MODE(small|big) [MAX_COMMITS]
import { statSync } from 'node:fs'
import { open } from '@dbdb/dbdb'
import { line, parentGone, run } from './common.mjs'
import { applyCommit } from './workload.mjs'

const [file, mode, max = '1000000'] = process.argv.slice(2)
run(() => {
  line('opening')
  const db = open(file)
  let i = db.txid
  line(`opened ${i} ${statSync(file).size}`)
  while (i < Number(max) && !parentGone()) {
    i++
    applyCommit(db, i, mode)
    const info = db.commit()
    if (info?.txid !== i) throw new Error(`commit ${i} returned ${JSON.stringify(info)}`)
    line(`acked ${info.txid} ${statSync(file).size}`)
  }
  db.close()
  line('done')
})
