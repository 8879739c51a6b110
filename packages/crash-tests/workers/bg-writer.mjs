// Background writer for the compaction snapshot test: after the start signal it
// commits every 1-4 ms (seeded) until the stop file appears; commit c sets
//   bg:count = c and bg:<c % 20> = c
// and prints "acked <txid> <c>". While the pause file exists it commits nothing:
// it prints "paused <c>" once it has stopped, and "resumed" when the file is gone.
// At the end: "commits <c>".
// Usage: node bg-writer.mjs FILE GO_FILE PAUSE_FILE STOP_FILE SEED
import { existsSync } from 'node:fs'
import { open } from '@dbdb/dbdb'
import { prng } from '@dbdb/logical/testing'
import { line, parentGone, run, sleep, waitForFile } from './common.mjs'

const [file, go, pause, stop, seed] = process.argv.slice(2)
run(() => {
  const rand = prng(Number(seed))
  const db = open(file, { lockTimeoutMs: 30_000 })
  line('ready')
  waitForFile(go)
  let c = 0
  for (;;) {
    if (existsSync(stop) || parentGone()) break
    if (existsSync(pause)) {
      line(`paused ${c}`)
      while (existsSync(pause) && !existsSync(stop) && !parentGone()) sleep(0.5)
      line('resumed')
      continue
    }
    c++
    db.set('bg:count', c)
    db.set(`bg:${c % 20}`, c)
    const info = db.commit()
    line(`acked ${info.txid} ${c}`)
    sleep(1 + rand() * 3)
  }
  db.close()
  line(`commits ${c}`)
})
