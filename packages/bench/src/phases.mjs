// The timed phases of one run against one store. Every phase checks what the store
// returned, with the clock paused while checking, so checks cost no store any time.

import { sameBytes, show } from './checks.mjs'
import { Clock } from './clock.mjs'
import { valueSlab } from './data.mjs'

const CHUNK = 4096

const gc = () => globalThis.gc?.()

/** Awaits r only when it is a promise, so synchronous stores pay no microtask per call. */
const settle = (r) => (r instanceof Promise ? r : undefined)

export async function bulkLoad(store, w) {
  const keys = w.keys.slice(0, w.n)
  const values = w.values.slice(0, w.n)
  gc()
  const t0 = performance.now()
  await settle(store.bulkLoad(keys, values))
  return performance.now() - t0
}

export async function smallCommits(store, w) {
  const { keys, values } = w
  gc()
  const t0 = performance.now()
  for (let i = w.n; i < w.n + w.commits; i++) {
    const r = store.commitSmall(keys[i], values[i])
    if (r instanceof Promise) await r
  }
  return performance.now() - t0
}

export async function pointGets(store, w, checks, expected) {
  const { keys, getOps, live } = w
  const out = new Array(CHUNK)
  const clock = new Clock()
  let hits = 0
  gc()
  for (let start = 0; start < getOps.length; start += CHUNK) {
    const end = Math.min(getOps.length, start + CHUNK)
    clock.start()
    for (let j = start; j < end; j++) {
      let v = store.get(keys[getOps[j]])
      if (v instanceof Promise) v = await v
      out[j - start] = v
    }
    clock.stop()
    for (let j = start; j < end; j++) {
      const idx = getOps[j]
      const v = out[j - start]
      if (idx < live) {
        hits++
        checks.ok(
          'gets return the stored value',
          sameBytes(v, expected(idx)),
          () => `key ${keys[idx]} -> ${show(v)}, expected ${show(expected(idx))}`,
        )
      } else {
        checks.ok('gets of missing keys return undefined', v === undefined, () => `missing key ${keys[idx]} -> ${show(v)}`)
      }
    }
  }
  return { ms: clock.total, hits, misses: getOps.length - hits }
}

/** Checks `got` entries against the sorted live keys from position `pos` on. */
function checkRun(checks, name, w, expected, pos, gotKeys, gotValues) {
  for (let j = 0; j < gotKeys.length; j++) {
    const idx = w.sorted[pos + j]
    if (idx === undefined) {
      checks.ok(`${name}: no entries past the last key`, false, () => `extra entry ${show(gotKeys[j])} at position ${pos + j}`)
      return
    }
    if (
      !checks.ok(
        `${name}: keys in order`,
        sameBytes(gotKeys[j], w.keys[idx]),
        () => `position ${pos + j}: ${show(gotKeys[j])}, expected ${w.keys[idx]}`,
      )
    )
      return
    checks.ok(
      `${name}: values`,
      sameBytes(gotValues[j], expected(idx)),
      () => `key ${w.keys[idx]}: ${show(gotValues[j])}, expected ${show(expected(idx))}`,
    )
  }
}

/** A full ordered scan, checked in chunks with the clock paused. Returns ms (and counts into checks). */
export async function fullScan(store, w, checks, expected, name = 'full scan') {
  const clock = new Clock()
  const ks = []
  const vs = []
  let pos = 0
  const flush = () => {
    checkRun(checks, name, w, expected, pos, ks, vs)
    pos += ks.length
    ks.length = 0
    vs.length = 0
  }
  gc()
  clock.start()
  await settle(
    store.scanAll((k, v) => {
      ks.push(k)
      vs.push(v)
      if (ks.length === CHUNK) {
        clock.stop()
        flush()
        clock.start()
      }
    }),
  )
  clock.stop()
  flush()
  checks.ok(`${name}: count`, pos === w.live, () => `${pos} entries, expected ${w.live}`)
  return clock.total
}

export async function rangeScans(store, w, checks, expected) {
  const clock = new Clock()
  const ks = []
  const vs = []
  const visit = (k, v) => {
    ks.push(k)
    vs.push(v)
  }
  gc()
  for (const pos of w.rangeStarts) {
    ks.length = 0
    vs.length = 0
    const startKey = w.keys[w.sorted[pos]]
    clock.start()
    await settle(store.range(startKey, w.rangeLength, visit))
    clock.stop()
    checks.ok(
      'range scans: count',
      ks.length === w.rangeLength,
      () => `range from ${startKey}: ${ks.length} entries, expected ${w.rangeLength}`,
    )
    checkRun(checks, 'range scans', w, expected, pos, ks, vs)
  }
  return clock.total
}

/** `rounds` overwrites of every bulk-loaded key; returns per-round ms and the last round's values. */
export async function overwrites(store, w, rounds) {
  const keys = w.keys.slice(0, w.n)
  let slab
  const roundsMs = []
  for (let round = 1; round <= rounds; round++) {
    slab = valueSlab(w.seed, 0, w.n, round, slab)
    gc()
    const t0 = performance.now()
    await settle(store.overwriteAll(keys, slab.views))
    roundsMs.push(performance.now() - t0)
  }
  return { roundsMs, values: slab?.views ?? [] }
}

/** Random point gets of live keys, untimed: checks overwrites and compaction kept every value. */
export async function sampleGets(store, w, checks, expected, count, name) {
  for (let j = 0; j < count; j++) {
    const idx = Math.floor(w.random() * w.live)
    let v = store.get(w.keys[idx])
    if (v instanceof Promise) v = await v
    checks.ok(name, sameBytes(v, expected(idx)), () => `key ${w.keys[idx]} -> ${show(v)}, expected ${show(expected(idx))}`)
  }
}
