// Readers-test writer: after the start signal, commits as fast as it can with
// durability 'none'; commit c sets every key r000..r099 to c in one transaction.
// It stops when the stop file appears (or after MAX commits) and prints
//   commits <c>
// Usage: node fast-writer.mjs FILE GO_FILE STOP_FILE FIRST_C [MAX]
import { existsSync } from 'node:fs'
import { open } from '@dbdb/dbdb'
import { line, parentGone, run, waitForFile } from './common.mjs'

const KEYS = Array.from({ length: 100 }, (_, i) => `r${String(i).padStart(3, '0')}`)

const [file, go, stop, first, max = '1000000'] = process.argv.slice(2)
run(() => {
  const db = open(file, { durability: 'none' })
  line('ready')
  waitForFile(go)
  let c = Number(first)
  for (; c < Number(max); c++) {
    if (c % 8 === 0 && (existsSync(stop) || parentGone())) break
    db.transaction(() => {
      for (const k of KEYS) db.set(k, c)
    })
  }
  db.close()
  line(`commits ${c - Number(first)}`)
})
