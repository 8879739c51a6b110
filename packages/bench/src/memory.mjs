#!/usr/bin/env node

// Memory scenario (`pnpm --filter @dbdb/bench memory`): a DBDB B+ tree of 2,000,000 keys
// with 100-byte values, written in commits of 50,000 keys with cacheBytes = 64 MiB (in key
// order by default, as a bulk import is; `--order random` scatters every batch over the
// whole tree, so each commit copies most leaves and the dirty part of a transaction,
// which the cache does not bound, grows with the tree), then
// 200,000 random reads (every value checked). Reports peak RSS (VmHWM) against the
// 256 MiB target and where the memory goes: JS heap, memory outside the heap (Buffers),
// and the rest (code, stacks, allocator), sampled after every commit and every 10,000 reads.
//
//   node --expose-gc src/memory.mjs [--n 2000000] [--batch 50000] [--reads 200000] [--order sorted|random]
//                                   [--cache-mib 64] [--seed 42] [--tmp DIR] [--out DIR]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { open } from '@dbdb/dbdb'
import { KEY_BYTES, KeyMaker, prng, VALUE_BYTES, writeValueWords } from './data.mjs'
import { formatBytes, formatCount, formatMs } from './format.mjs'
import { diskUse, procStatusBytes } from './fsutil.mjs'

const MiB = 1024 * 1024
const TARGET = 256 * MiB
const o = {
  order: 'sorted',
  n: 2_000_000,
  batch: 50_000,
  reads: 200_000,
  cacheMib: 64,
  seed: 42,
  tmp: tmpdir(),
  out: resolve(dirname(fileURLToPath(import.meta.url)), '..', 'results'),
}
const args = process.argv.slice(2).filter((a) => a !== '--')
for (let i = 0; i < args.length; i += 2) {
  const key = {
    '--order': 'order',
    '--n': 'n',
    '--batch': 'batch',
    '--reads': 'reads',
    '--cache-mib': 'cacheMib',
    '--seed': 'seed',
    '--tmp': 'tmp',
    '--out': 'out',
  }[args[i]]
  if (!key || args[i + 1] === undefined) {
    console.error(
      `unknown option ${args[i]}\nusage: node --expose-gc src/memory.mjs [--n N] [--batch B] [--reads R] [--cache-mib M] [--seed S] [--tmp DIR] [--out DIR]`,
    )
    process.exit(1)
  }
  o[key] = key === 'tmp' || key === 'out' ? resolve(args[i + 1]) : key === 'order' ? args[i + 1] : Number(args[i + 1])
}
const log = (m) => process.stderr.write(`${m}\n`)
const gc = () => globalThis.gc?.()
if (!globalThis.gc) log('(run with node --expose-gc for the after-GC figures)')

let peak = { rss: 0 }
const samples = []
function sample(phase) {
  const m = process.memoryUsage()
  const s = { phase, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
  samples.push(s)
  if (s.rss > peak.rss) peak = s
  return s
}

gc()
const baseline = sample('node + @dbdb/dbdb loaded')
const dir = mkdtempSync(join(o.tmp, 'dbdb-memory-'))
const path = join(dir, 'memory.dbdb')
const randomKeys = new KeyMaker(o.seed)
/** Key i: seeded random bytes, or (sorted) i as 16 hex digits, so that key order is index order. */
const maker =
  o.order === 'random' ? randomKeys : { write: (i, buf, at) => buf.write(i.toString(16).padStart(KEY_BYTES, '0'), at, 'latin1') }
const key = Buffer.alloc(KEY_BYTES)
const value = Buffer.alloc(VALUE_BYTES)
const valueWords = new Uint32Array(value.buffer, value.byteOffset, VALUE_BYTES / 4)
let failures = 0
let firstFailure

try {
  const db = open(path, { tree: 'bplus', codec: 'msgpack', valueCodec: 'raw', keyEncoding: 'binary', cacheBytes: o.cacheMib * MiB })
  log(
    `memory scenario: ${formatCount(o.n)} keys (${o.order} order) in commits of ${formatCount(o.batch)}, cacheBytes ${o.cacheMib} MiB, then ${formatCount(o.reads)} random reads`,
  )
  let t0 = performance.now()
  for (let start = 0; start < o.n; start += o.batch) {
    const end = Math.min(o.n, start + o.batch)
    db.transaction(() => {
      // One key and one value buffer, reused: set() copies them, so the harness holds ~nothing.
      for (let i = start; i < end; i++) {
        maker.write(i, key, 0)
        writeValueWords(valueWords, 0, o.seed, i, 0)
        db.set(key, value)
      }
    })
    const s = sample(`after commit ${start / o.batch + 1}`)
    if ((start / o.batch) % 8 === 7 || end === o.n)
      log(
        `  ${formatCount(end)} keys written, rss ${formatBytes(s.rss)}, heap ${formatBytes(s.heapUsed)}, external ${formatBytes(s.external)}`,
      )
  }
  const writeMs = performance.now() - t0
  gc()
  const afterWritesGc = sample('after writes, after GC')

  const random = prng(o.seed ^ 0xbeef)
  t0 = performance.now()
  const expected = Buffer.alloc(VALUE_BYTES)
  const expectedWords = new Uint32Array(expected.buffer, expected.byteOffset, VALUE_BYTES / 4)
  for (let j = 0; j < o.reads; j++) {
    const i = Math.floor(random() * o.n)
    maker.write(i, key, 0)
    const v = db.get(key)
    writeValueWords(expectedWords, 0, o.seed, i, 0)
    if (!(v instanceof Uint8Array) || Buffer.compare(v, expected) !== 0) {
      failures++
      firstFailure ??= `key ${key.toString()} -> ${v instanceof Uint8Array ? `${Buffer.from(v).toString('hex').slice(0, 24)}…` : String(v)}`
    }
    if (j % 10_000 === 9_999) sample(`after ${formatCount(j + 1)} reads`)
  }
  const readMs = performance.now() - t0
  const size = db.size
  if (size !== o.n) {
    failures++
    firstFailure ??= `db.size is ${size}, expected ${o.n}`
  }
  gc()
  const afterReadsGc = sample('after reads, after GC')
  const file = diskUse(path)
  db.close()
  const vmhwm = procStatusBytes('VmHWM')

  const other = (s) => s.rss - s.heapTotal - s.external
  const row = (s) =>
    `| ${s.phase} | ${formatBytes(s.rss)} | ${formatBytes(s.heapUsed)} / ${formatBytes(s.heapTotal)} | ${formatBytes(s.external)} (${formatBytes(s.arrayBuffers)} in ArrayBuffers) | ${formatBytes(other(s))} |`
  const lines = [
    `# DBDB memory scenario`,
    ``,
    `B+ tree, msgpack nodes, raw 100-byte values, binary 16-byte keys; ${formatCount(o.n)} keys in ${o.order} order in commits of ${formatCount(o.batch)} (${formatMs(writeMs)}), ` +
      `then ${formatCount(o.reads)} random reads (${formatMs(readMs)}); cacheBytes = ${o.cacheMib} MiB; file ${formatBytes(file.allocated)}; Node ${process.versions.node} ${process.execArgv.join(' ') || '(default flags)'}.`,
    ``,
    `**Peak RSS (VmHWM): ${formatBytes(vmhwm)}**, target < ${formatBytes(TARGET)}: ${vmhwm < TARGET ? 'met' : `**not met** (over by ${formatBytes(vmhwm - TARGET)})`}. ` +
      `Reads checked: ${failures === 0 ? 'all values correct' : `**${failures} wrong** (first: ${firstFailure})`}.`,
    ``,
    `Where the memory goes (process.memoryUsage(); "other" = RSS - heap reserved - external: code, stacks, native allocator):`,
    ``,
    `| when | RSS | JS heap used / reserved | external (Buffers) | other |`,
    `| --- | ---: | ---: | ---: | ---: |`,
    row(baseline),
    row(peak),
    row(afterWritesGc),
    row(afterReadsGc),
    ``,
    `The node cache is bounded at ${o.cacheMib} MiB (cacheBytes); its contents are not visible through the public API. Heap used after a GC is what is really live ` +
      `(cache included); the difference between the peak and that is garbage not yet collected or heap V8 keeps reserved.`,
    ``,
  ]
  process.stdout.write(lines.join('\n'))
  mkdirSync(o.out, { recursive: true })
  writeFileSync(
    join(o.out, 'memory-latest.json'),
    `${JSON.stringify({ options: o, vmhwm, target: TARGET, met: vmhwm < TARGET, failures, firstFailure, writeMs, readMs, file, baseline, peak, afterWritesGc, afterReadsGc, samples }, null, 2)}\n`,
  )
  process.exitCode = failures ? 2 : 0
} finally {
  rmSync(dir, { recursive: true, force: true })
}
