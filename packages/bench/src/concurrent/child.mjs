// One measurement of the "concurrent writers" workload, in its own process: C async
// writers, each awaiting one write before issuing its next, N writes in all (16-byte
// keys, 100-byte values). Prints one JSON line: writes/s, acknowledgement latency
// percentiles, the event loop's p99 delay during the run.
// Usage: node child.mjs STORE_ID C N DIR

import { monitorEventLoopDelay } from 'node:perf_hooks'
import { loadAvailable } from '../adapters/index.mjs'
import { storeById } from './stores.mjs'

const [id, c, n, dir] = process.argv.slice(2)
const C = Number(c)
const N = Number(n)

function key(i) {
  const k = Buffer.alloc(16)
  k.write('w', 0)
  k.write(String(i).padStart(15, '0'), 1)
  return k
}

const spec = storeById(id)
const { unavailable } = await loadAvailable(spec.family)
if (unavailable !== undefined) {
  console.log(JSON.stringify({ unavailable }))
  process.exit(0)
}
const store = await spec.open(dir)
const value = Buffer.alloc(100, 'v')
const latencies = new Float64Array(N)
let next = 0
async function writer() {
  for (;;) {
    const i = next++
    if (i >= N) return
    const k = key(i)
    const t = performance.now()
    await store.write(k, value)
    latencies[i] = performance.now() - t
  }
}
// Warm-up, not measured: opens files, compiles the paths.
for (let i = 0; i < 200; i++) await store.write(key(N + i), value)

// The monitor samples with a timer every RESOLUTION ms and records the time between
// samples, the interval included: the delay is what a sample took beyond it.
const RESOLUTION = 1
const loop = monitorEventLoopDelay({ resolution: RESOLUTION })
loop.enable()
// A store whose writes never let the loop turn (synchronous ones, awaited as resolved
// promises) gives the monitor no sample at all: counted here, so that its delay is
// reported as what it was, the whole run.
let ticks = 0
const ticker = setInterval(() => ticks++, 1)
const started = performance.now()
await Promise.all(Array.from({ length: C }, writer))
const ms = performance.now() - started
clearInterval(ticker)
loop.disable()
await store.close()
latencies.sort()
const at = (p) => latencies[Math.min(N - 1, Math.floor(N * p))]
console.log(
  JSON.stringify({
    writesPerSec: (N / ms) * 1000,
    p50: at(0.5),
    p99: at(0.99),
    loopP99: ticks === 0 && N > 0 ? ms : Math.max(0, loop.percentile(99) / 1e6 - RESOLUTION),
    ms,
  }),
)
