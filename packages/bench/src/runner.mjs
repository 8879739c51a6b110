// Runs every target R times, each run in its own child process (child.mjs), one at a
// time. Rounds rotate the order of the targets so that a slow spell of a shared machine
// does not always hit the same store.

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatMs } from './format.mjs'

const childPath = join(dirname(fileURLToPath(import.meta.url)), 'child.mjs')

function runChild(target, { n, seed, settings, tmp, timeout }) {
  const dir = mkdtempSync(join(tmp, `dbdb-bench-${target.id}-`))
  const args = ['--expose-gc', childPath, target.family, target.id, String(n), String(seed), dir, JSON.stringify(settings)]
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderrTail = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s) => {
      process.stderr.write(s)
      stderrTail = (stderrTail + s).slice(-2000)
    })
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeout * 1000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
      const line = stdout.trim().split('\n').pop()
      let result
      try {
        result = line ? JSON.parse(line) : undefined
      } catch {
        result = undefined
      }
      if (result === undefined || code !== 0) {
        const why = timedOut ? `timed out after ${timeout} s` : `exited with ${signal ?? code}`
        resolve({
          target: target.id,
          ok: false,
          error: `child ${why}; stderr ends: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}`,
          figures: result?.figures ?? {},
        })
      } else {
        resolve(result)
      }
    })
  })
}

export async function runAll(targets, options, log) {
  const runs = new Map(targets.map((t) => [t.id, []]))
  const total = targets.length * options.runs
  let i = 0
  const started = performance.now()
  for (let round = 0; round < options.runs; round++) {
    const order = targets.map((_, j) => targets[(j + round) % targets.length])
    for (const target of order) {
      i++
      const earlier = runs.get(target.id)
      if (earlier.some((r) => r.unavailable)) continue // not installed here: once is enough
      log(`[${i}/${total}] ${target.id} (run ${round + 1}/${options.runs}, ${formatMs(performance.now() - started)} elapsed)`)
      const t0 = performance.now()
      const result = await runChild(target, options)
      result.round = round
      result.wallMs = performance.now() - t0
      runs.get(target.id).push(result)
      const outcome = result.unavailable
        ? `unavailable: ${result.unavailable}`
        : result.error
          ? `ERROR ${result.error}`
          : result.ok
            ? 'checks passed'
            : 'CHECKS FAILED'
      log(`    ${target.id}: ${outcome} (${formatMs(result.wallMs)})`)
    }
  }
  return runs
}
