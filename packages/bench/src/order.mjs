#!/usr/bin/env node
// Which B+ tree order (keys per leaf; branches twice as wide) to default to: bulk load,
// gets, scan, small commits and their bytes at several orders
// (pnpm --filter @dbdb/bench order [-- --runs R --orders 32,64,96 --durability none]).
//
// Each order runs in a process of its own, and the rounds alternate the orders: in one
// process, the orders measured later would find V8 already warmed up by the earlier
// ones, and look faster at "cold" gets than they are. Figures are medians over rounds,
// with the range.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBPlusTree, open } from '@dbdb/dbdb'
import { KeyMaker, VALUE_BYTES } from './data.mjs'
import { median } from './stats.mjs'

const N = 200_000
const COMMITS = 1000

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

/** One order, in this process: the phases in the bench's order, timed. */
function child(order, durability) {
  const dir = mkdtempSync(join(tmpdir(), 'dbdb-order-'))
  const file = join(dir, 'order.db')
  try {
    const maker = new KeyMaker(42)
    const keys = Array.from({ length: N + COMMITS }, (_, i) => maker.key(i))
    const value = Buffer.alloc(VALUE_BYTES, 7)
    const db = open(file, { keyEncoding: 'binary', valueCodec: 'raw', tree: createBPlusTree({ order }), durability })
    const time = (fn) => {
      globalThis.gc?.()
      const t = performance.now()
      fn()
      return performance.now() - t
    }
    const load = time(() =>
      db.transaction(() => {
        for (let i = 0; i < N; i++) db.set(keys[i], value)
      }),
    )
    const file0 = statSync(file).size
    const commits = time(() => {
      for (let i = N; i < N + COMMITS; i++) {
        db.set(keys[i], value)
        db.commit()
      }
    })
    const bytesPerCommit = (statSync(file).size - file0) / COMMITS
    const gets = time(() => {
      for (let i = 0; i < N; i++) db.get(keys[(i * 7919) % N])
    })
    const scan = time(() => {
      for (const _ of db.keys()) {
        /* count */
      }
    })
    db.close()
    return { load, commits, bytesPerCommit, gets, scan, file: file0 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--child') {
  process.stdout.write(`${JSON.stringify(child(Number(process.argv[3]), process.argv[4]))}\n`)
} else {
  const runs = Number(option('runs', '5'))
  const orders = option('orders', '16,32,64,96,128,256').split(',').map(Number)
  const durability = option('durability', 'none')
  const results = new Map(orders.map((o) => [o, []]))
  const self = fileURLToPath(import.meta.url)
  for (let round = 0; round < runs; round++) {
    // Rotate which order goes first, so no order always runs on a quieter machine.
    const turn = orders.map((_, i) => orders[(i + round) % orders.length])
    for (const order of turn) {
      const r = spawnSync(process.execPath, ['--expose-gc', self, '--child', String(order), durability], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`order ${order} failed: ${r.stderr}`)
      results.get(order).push(JSON.parse(r.stdout))
      process.stderr.write(`round ${round + 1}/${runs}: order ${order} done\n`)
    }
  }
  const cell = (rs, k) => {
    const xs = rs.map((r) => r[k])
    return `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`
  }
  console.log(
    `${N.toLocaleString('en')} keys (16 bytes, random order) with ${VALUE_BYTES}-byte values, durability '${durability}', ${runs} rounds, a process per order and round; medians (range)\n`,
  )
  console.log('| order | bulk load | 1,000 small commits | bytes per commit | 200k gets | full scan | file |')
  console.log('|---|---|---|---|---|---|---|')
  for (const [order, rs] of results) {
    console.log(
      `| ${order} | ${cell(rs, 'load')} | ${cell(rs, 'commits')} | ${median(rs.map((r) => r.bytesPerCommit)).toFixed(0)} | ${cell(rs, 'gets')} | ${cell(rs, 'scan')} | ${(median(rs.map((r) => r.file)) / 1e6).toFixed(1)} MB |`,
    )
  }
}
