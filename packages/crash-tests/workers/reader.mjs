// Readers-test reader: opens read-only and, READS times each, alternates three
// reads that must each see exactly one commit (all 100 values r000..r099 equal):
//   values:   [...db.values()]             (one iteration)
//   snapshot: db.snapshot() then 100 get()s (and the value must be snapshot.txid - 1)
//   range:    [...db.entries({ gte: 'r050' })] (50 entries)
// It also checks that reads never go back in time (each read begins after the last
// one ended, so it sees at least that commit). It never lets an error escape
// silently: the first bad read or exception is reported and the exit code is 1.
// Prints one JSON line: { reads, distinct, min, max, bad }
// Usage: node reader.mjs FILE GO_FILE READS
import { open } from '@dbdb/dbdb'
import { line, run, waitForFile } from './common.mjs'

const KEYS = Array.from({ length: 100 }, (_, i) => `r${String(i).padStart(3, '0')}`)
const [file, go, reads] = process.argv.slice(2)

run(() => {
  const db = open(file, { readOnly: true })
  line('ready')
  waitForFile(go)
  const seen = new Set()
  const bad = []
  let last = -Infinity
  let count = 0
  const check = (method, values, expectLength, extra) => {
    count++
    const first = values[0]
    const ok = values.length === expectLength && values.every((v) => v === first) && typeof first === 'number'
    if (!ok) {
      bad.push({ method, length: values.length, distinctValues: [...new Set(values)].slice(0, 10), ...extra })
      return
    }
    if (first < last) bad.push({ method, wentBack: { from: last, to: first } })
    last = Math.max(last, first)
    seen.add(first)
  }
  for (let r = 0; r < Number(reads); r++) {
    check('values', [...db.values()], 100)
    const snap = db.snapshot()
    try {
      const vs = KEYS.map((k) => snap.get(k))
      check('snapshot', vs, 100, { txid: snap.txid })
      if (vs[0] !== snap.txid - 1) bad.push({ method: 'snapshot', txid: snap.txid, value: vs[0], expected: snap.txid - 1 })
    } finally {
      snap.close()
    }
    const entries = [...db.entries({ gte: 'r050' })]
    const keysOk = entries.every(([k], i) => k === KEYS[50 + i])
    if (!keysOk) bad.push({ method: 'range', keys: entries.slice(0, 5).map(([k]) => k) })
    check(
      'range',
      entries.map(([, v]) => v),
      50,
    )
    if (bad.length > 20) break
  }
  db.close()
  const values = [...seen]
  line(JSON.stringify({ reads: count, distinct: seen.size, min: Math.min(...values), max: Math.max(...values), bad }))
  if (bad.length > 0) process.exit(1)
})
