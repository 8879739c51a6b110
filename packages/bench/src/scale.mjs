#!/usr/bin/env node
// Scale check: 1,000,000 keys in ONE transaction into the B+ tree, in sorted and in
// random order, then reopened in a new process and read; and a sorted load into the
// binary tree, which must not degenerate. Prints times, heights and peak RSS.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { open } from '@dbdb/dbdb'

const peakRss = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
const mib = (n) => `${(n / 1048576).toFixed(0)} MiB`
const key = (i) => Buffer.from(i.toString(16).padStart(16, '0'))
const value = (i) => Buffer.alloc(100, i & 0xff)

if (process.argv[2] === '--verify') {
  const [, , , file, n] = process.argv
  const t = performance.now()
  const db = open(file, { readOnly: true, keyEncoding: 'binary' })
  const first = db.get(key(12345))
  const opened = performance.now() - t
  let ok = Buffer.from(first).equals(value(12345)) && db.size === Number(n)
  for (let i = 0; i < Number(n); i += 9973) ok &&= Buffer.from(db.get(key(i))).equals(value(i))
  let count = 0
  let previous
  for (const k of db.keys()) {
    if (previous && Buffer.compare(previous, k) >= 0) ok = false
    previous = k
    count++
  }
  console.log(
    JSON.stringify({ ok: ok && count === Number(n), openAndFirstGetMs: Math.round(opened), height: db.stats().height, rss: peakRss() }),
  )
  db.close()
  process.exit(0)
}

const dir = mkdtempSync(join(tmpdir(), 'dbdb-scale-'))
const self = fileURLToPath(import.meta.url)
try {
  const runs = [
    ['bplus', 'sorted', 1_000_000],
    ['bplus', 'random', 1_000_000],
    ['binary', 'sorted', 200_000],
  ]
  for (const [tree, order, n] of runs) {
    const file = join(dir, `${tree}-${order}.db`)
    const ids = Array.from({ length: n }, (_, i) => (order === 'sorted' ? i : (i * 2654435761) % n))
    if (order === 'random') for (let i = 0; i < n; i++) ids[i] = Number((BigInt(i) * 2654435761n) % BigInt(n))
    const db = open(file, { tree, keyEncoding: 'binary', valueCodec: 'raw' })
    const t = performance.now()
    db.transaction(() => {
      for (const i of ids) db.set(key(i), value(i))
    })
    const loadMs = performance.now() - t
    db.close()
    const verify = JSON.parse(execFileSync(process.execPath, [self, '--verify', file, String(n)], { encoding: 'utf8' }))
    console.log(
      `${tree} tree, ${n.toLocaleString('en')} keys in ${order} order, one transaction: load+commit ${(loadMs / 1000).toFixed(1)} s, ` +
        `file ${mib(statSync(file).size)}; reopened in a new process: open+first get ${verify.openAndFirstGetMs} ms, ` +
        `height ${verify.height}, every key and order ${verify.ok ? 'verified' : 'WRONG'}, reader peak RSS ${mib(verify.rss)}`,
    )
    if (!verify.ok) process.exitCode = 1
    rmSync(file)
  }
  console.log(`loader peak RSS ${mib(peakRss())}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
