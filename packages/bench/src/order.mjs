#!/usr/bin/env node
// Which B+ tree order (entries per node) to default to: bulk load, gets, scan and bytes
// per small commit at several orders (pnpm --filter @dbdb/bench order).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBPlusTree, open } from '@dbdb/dbdb'

const N = 200000
const dir = mkdtempSync(join(tmpdir(), 'dbdb-order-'))
const keys = Array.from({ length: N }, (_, i) => Buffer.from(String((i * 2654435761) % 4294967296).padStart(16, '0')))
const value = Buffer.alloc(100, 7)
for (const order of [16, 32, 64, 128, 256]) {
  const file = join(dir, `order${order}.db`)
  rmSync(file, { force: true })
  const db = open(file, { keyEncoding: 'binary', valueCodec: 'raw', tree: createBPlusTree({ order }), durability: 'none' })
  let t = performance.now()
  db.transaction(() => { for (const k of keys) db.set(k, value) })
  const load = performance.now() - t
  const size1 = statSync(file).size
  t = performance.now()
  for (let i = 0; i < N; i++) db.get(keys[(i * 7) % N])
  const gets1 = performance.now() - t
  t = performance.now()
  for (let i = 0; i < N; i++) db.get(keys[(i * 13) % N])
  const gets = performance.now() - t
  t = performance.now()
  let n = 0; for (const _ of db.keys()) n++
  const scan = performance.now() - t
  t = performance.now()
  for (let i = 0; i < 1000; i++) { db.set(keys[(i * 31) % N], value); db.commit() }
  const commits = performance.now() - t
  const perCommit = (statSync(file).size - size1) / 1000
  console.log(`order ${order}: load ${load.toFixed(0)} ms, cold gets ${gets1.toFixed(0)} ms, warm gets ${gets.toFixed(0)} ms, scan ${scan.toFixed(0)} ms, 1000 commits ${commits.toFixed(0)} ms, ${perCommit.toFixed(0)} B/commit, file ${size1}`)
  db.close()
  rmSync(file)
}
rmSync(dir, { recursive: true, force: true })
