// What a commit's sync costs on this machine, measured apart from any store: a 4 KiB
// write followed by fdatasync on the main thread, the same with the fdatasync on
// libuv's thread pool (as DBDB's group commit runs it), and a thread-pool round trip
// that does no I/O (an fstat): what a lone async writer's commit costs beside a
// synchronous one, apart from any store. The three are interleaved, so that a busy
// moment slows all alike.
// Usage: node machine.mjs DIR   (prints one JSON line of medians in µs)

import { closeSync, fdatasync, fdatasyncSync, fstat, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const TRIALS = 300
const WARMUP = 20
const BLOCK = 4096

/** Medians in µs: `syncUs` (write + fdatasync), `poolSyncUs` (the same, fdatasync on the thread pool), `poolRoundTripUs` (an fstat on it). */
export async function measureSyncCosts(dir, trials = TRIALS) {
  const fd = openSync(join(dir, 'machine.bin'), 'w+')
  try {
    // The writes overwrite blocks the file already has, as commits into reserved space do.
    const slots = 2 * (trials + WARMUP)
    writeSync(fd, Buffer.alloc(slots * BLOCK), 0, slots * BLOCK, 0)
    fdatasyncSync(fd)
    const block = Buffer.alloc(BLOCK, 1)
    const times = { syncUs: [], poolSyncUs: [], poolRoundTripUs: [] }
    let slot = 0
    const us = (since) => Number(process.hrtime.bigint() - since) / 1000
    const onMain = () => {
      const t = process.hrtime.bigint()
      writeSync(fd, block, 0, BLOCK, slot++ * BLOCK)
      fdatasyncSync(fd)
      return us(t)
    }
    const onPool = async () => {
      const t = process.hrtime.bigint()
      writeSync(fd, block, 0, BLOCK, slot++ * BLOCK)
      await new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())))
      return us(t)
    }
    for (let i = 0; i < trials + WARMUP; i++) {
      // Which sync goes first alternates: the one after a thread-pool call may find the
      // disk (or the CPU) in another state than the one after a sync on the main thread.
      let sync
      let poolSync
      if (i % 2 === 0) {
        sync = onMain()
        poolSync = await onPool()
      } else {
        poolSync = await onPool()
        sync = onMain()
      }
      const t = process.hrtime.bigint()
      await new Promise((resolve, reject) => fstat(fd, (err) => (err ? reject(err) : resolve())))
      const roundTrip = us(t)
      if (i < WARMUP) continue
      times.syncUs.push(sync)
      times.poolSyncUs.push(poolSync)
      times.poolRoundTripUs.push(roundTrip)
    }
    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b)
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
    }
    return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, Math.round(median(xs))]))
  } finally {
    closeSync(fd)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2]
  if (!dir) {
    process.stderr.write('usage: node machine.mjs DIR\n')
    process.exit(2)
  }
  console.log(JSON.stringify(await measureSyncCosts(dir)))
}
