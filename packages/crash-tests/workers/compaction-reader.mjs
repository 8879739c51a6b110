// Compaction-test reader: opens read-only before any compaction and reads, until
// the stop file appears, while writers commit and another process compacts the
// file again and again. Every read must see exactly one commit of the workload of
// compaction-writer.mjs (whose commits after the setup commit SETUP each add one
// to the counter), so in one consistent read:
//   counter = (txid - SETUP), = the number of inc: keys, and for each writer W,
//   the number of inc:W: keys = last:W + 1.
// Reads alternate between:
//   entries:  [...db.entries()]                      (one iteration of everything;
//             the counter must lie between db.txid - SETUP before and after it)
//   snapshot: db.snapshot(), then get()s and count()s (and its txid must fit)
//   range:    [...db.entries({ gte: 'counter', lt: 'inc;' })]
// Reads never go back in time (the counter never decreases). Nothing may throw.
// After the stop file appears it makes one last snapshot read, which must see the
// final commit (the test stops readers only after the writers are done).
// Prints "first-read" after its first read, then one JSON line at the end:
//   { reads, distinct, files, finalCounter, finalTxid, bad }
// where files counts the distinct inodes seen at the path while reading.
// Usage: node compaction-reader.mjs FILE GO_FILE STOP_FILE SETUP WORKERS
import { existsSync, statSync } from 'node:fs'
import { open } from '@dbdb/dbdb'
import { line, parentGone, run, sleep, waitForFile } from './common.mjs'

const [file, go, stop, setup, workers] = process.argv.slice(2)
const SETUP = Number(setup)
const WORKERS = Number(workers)

run(() => {
  const db = open(file, { readOnly: true })
  line('ready')
  waitForFile(go)
  const bad = []
  const seen = new Set()
  const inodes = new Set()
  let last = -Infinity
  let reads = 0

  /** Checks one consistent view given as a list of [key, value] pairs (all counter/inc:/last: keys). */
  const checkView = (method, counter, incs, perWorker, lasts, extra) => {
    reads++
    if (typeof counter !== 'number') return bad.push({ method, counter, ...extra })
    if (incs !== counter) bad.push({ method, torn: { counter, incs }, ...extra })
    for (let w = 0; w < WORKERS; w++) {
      if (lasts !== undefined && (perWorker[w] ?? 0) !== (lasts[w] ?? -1) + 1)
        bad.push({ method, torn: { worker: w, incs: perWorker[w] ?? 0, last: lasts[w] ?? null }, ...extra })
    }
    if (counter < last) bad.push({ method, wentBack: { from: last, to: counter } })
    last = Math.max(last, counter)
    seen.add(counter)
  }
  const tallyEntries = (entries) => {
    let counter
    let incs = 0
    const perWorker = []
    const lasts = []
    for (const [k, v] of entries) {
      if (k === 'counter') counter = v
      else if (k.startsWith('inc:')) {
        incs++
        const w = Number(k.split(':')[1])
        perWorker[w] = (perWorker[w] ?? 0) + 1
      } else if (k.startsWith('last:')) lasts[Number(k.split(':')[1])] = v
    }
    return { counter, incs, perWorker, lasts }
  }
  const snapshotRead = (method) => {
    const snap = db.snapshot()
    try {
      const counter = snap.get('counter')
      const incs = snap.count({ gte: 'inc:', lt: 'inc;' })
      const perWorker = []
      const lasts = []
      for (let w = 0; w < WORKERS; w++) {
        perWorker[w] = snap.count({ gte: `inc:${w}:`, lt: `inc:${w};` })
        lasts[w] = snap.get(`last:${w}`)
        if (lasts[w] !== undefined && snap.get(`inc:${w}:${lasts[w]}`) === undefined)
          bad.push({ method, missing: `inc:${w}:${lasts[w]}`, txid: snap.txid })
      }
      if (counter !== snap.txid - SETUP) bad.push({ method, txid: snap.txid, counter, expected: snap.txid - SETUP })
      checkView(method, counter, incs, perWorker, lasts, { txid: snap.txid })
      return { counter, txid: snap.txid }
    } finally {
      snap.close()
    }
  }

  let first = true
  for (let r = 0; ; r++) {
    if (existsSync(stop) || parentGone() || bad.length > 20) break
    try {
      inodes.add(statSync(file).ino)
    } catch {
      // the path is briefly being renamed over: nothing to record
    }
    try {
      const method = ['entries', 'snapshot', 'range'][r % 3]
      if (method === 'entries') {
        const before = db.txid
        const t = tallyEntries([...db.entries()])
        const after = db.txid
        if (typeof t.counter === 'number' && (t.counter < before - SETUP || t.counter > after - SETUP)) {
          bad.push({ method, counter: t.counter, txidBefore: before, txidAfter: after })
        }
        checkView(method, t.counter, t.incs, t.perWorker, t.lasts, {})
      } else if (method === 'snapshot') {
        snapshotRead(method)
      } else {
        const t = tallyEntries([...db.entries({ gte: 'counter', lt: 'inc;' })])
        checkView(method, t.counter, t.incs, t.perWorker, undefined, {})
      }
    } catch (err) {
      bad.push({ method: 'threw', error: `${err?.code ?? ''} ${err?.stack ?? err}`.slice(0, 1500) })
    }
    if (first) {
      line('first-read')
      first = false
    }
    sleep(0.5)
  }
  let final = { counter: null, txid: null }
  try {
    final = snapshotRead('final')
  } catch (err) {
    bad.push({ method: 'final-threw', error: `${err?.code ?? ''} ${err?.stack ?? err}`.slice(0, 1500) })
  }
  db.close()
  line(JSON.stringify({ reads, distinct: seen.size, files: inodes.size, finalCounter: final.counter, finalTxid: final.txid, bad }))
  if (bad.length > 0) process.exit(1)
})
