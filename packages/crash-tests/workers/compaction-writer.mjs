// Compaction-test writer: after the start signal, makes N read-modify-write
// transactions on the shared counter while another process compacts the file.
// Transaction j (one commit) of worker W:
//   last:W = j                       (a blind write first: it takes the writer lock)
//   counter = counter + 1            (read inside the transaction, after the lock)
//   inc:W:j = the new counter value
//   2 seeded operations on W's own keys own:W:00..own:W:39: set to { w, j, pad } or delete
// and prints, after commit() returned,
//   acked <txid> <j> <value>
// where txid is the one commit() reported. It keeps a model of its own keys and
// prints it at the end:
//   final <JSON [key, value] pairs, in key order>
// Between transactions it sleeps 0-3 ms (seeded), so the compaction's final
// catch-up gets the lock now and then (it waits for it like any writer).
// Usage: node compaction-writer.mjs FILE GO_FILE WORKER_ID N SEED LOCK_TIMEOUT_MS
import { open } from '@dbdb/dbdb'
import { prng } from '@dbdb/logical/testing'
import { line, parentGone, run, sleep, waitForFile } from './common.mjs'

const OWN_KEYS = 40
const PAD = 'o'.repeat(200)

const [file, go, id, n, seed, lockTimeoutMs] = process.argv.slice(2)
run(() => {
  const rand = prng(Number(seed))
  const own = new Map()
  const ownKey = (k) => `own:${id}:${String(k).padStart(2, '0')}`
  line('ready')
  waitForFile(go)
  const db = open(file, { lockTimeoutMs: Number(lockTimeoutMs) })
  line('opened')
  for (let j = 0; j < Number(n); j++) {
    if (parentGone()) break
    const ops = Array.from({ length: 2 }, () => ({ key: ownKey(Math.floor(rand() * OWN_KEYS)), del: rand() < 0.15 }))
    db.set(`last:${id}`, j)
    const value = (db.get('counter') ?? 0) + 1
    db.set('counter', value)
    db.set(`inc:${id}:${j}`, value)
    for (const op of ops) {
      if (op.del) db.delete(op.key)
      else db.set(op.key, { w: Number(id), j, pad: PAD })
    }
    const info = db.commit()
    for (const op of ops) {
      if (op.del) own.delete(op.key)
      else own.set(op.key, { w: Number(id), j, pad: PAD })
    }
    line(`acked ${info.txid} ${j} ${value}`)
    sleep(rand() * 3)
  }
  db.close()
  const final = [...own].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  line(`final ${JSON.stringify(final)}`)
  line('done')
})
