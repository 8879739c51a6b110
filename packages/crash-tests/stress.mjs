#!/usr/bin/env node
// The long versions of the crash tests: runs this package's vitest suite with
// DBDB_STRESS=1 (1000 kill-writer trials, 40 counter rounds, 20 reader rounds, 300
// stale-writer steps, 200 compaction kill trials with 10 writers rounds and 5 snapshots
// rounds, 200 killed async-writer processes) and prints a summary of trial counts and outcomes.
//
//   pnpm --filter @dbdb/crash-tests stress                 # everything, long
//   pnpm --filter @dbdb/crash-tests stress kill-writer     # one file (vitest filter)
//   DBDB_TRIALS=200 pnpm --filter @dbdb/crash-tests stress # override every count
//   DBDB_TRIALS_KILL_WRITER=5000 ...                       # override one test's count
//   DBDB_SEED=123 DBDB_ONLY_TRIAL=17 ... kill-writer       # replay one failing trial
//   DBDB_TRIALS_COMPACTION=200 ... compaction              # the compaction tests alone
//
// Exits non-zero when any test failed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, 'package.json'))
const vitestPkg = require.resolve('vitest/package.json')
const vitestBin = join(dirname(vitestPkg), JSON.parse(readFileSync(vitestPkg, 'utf8')).bin.vitest)

const work = mkdtempSync(join(tmpdir(), 'dbdb-stress-'))
const summaryFile = join(work, 'summary.jsonl')
const reportFile = join(work, 'vitest.json')
const started = Date.now()
const run = spawnSync(
  process.execPath,
  [vitestBin, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...process.argv.slice(2)],
  { cwd: here, stdio: 'inherit', env: { ...process.env, DBDB_STRESS: process.env.DBDB_STRESS || '1', DBDB_CRASH_SUMMARY: summaryFile } },
)
const minutes = ((Date.now() - started) / 60_000).toFixed(1)

const summaries = existsSync(summaryFile)
  ? readFileSync(summaryFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : []
let passed = 0
let failed = 0
const failedTests = []
if (existsSync(reportFile)) {
  const json = JSON.parse(readFileSync(reportFile, 'utf8'))
  passed = json.numPassedTests ?? 0
  failed = (json.numFailedTests ?? 0) + (json.numFailedTestSuites ?? 0)
  for (const file of json.testResults ?? []) {
    for (const t of file.assertionResults ?? []) if (t.status === 'failed') failedTests.push(t.fullName ?? t.title)
  }
} else {
  failed = 1
  failedTests.push('(no vitest report was written)')
}
rmSync(work, { recursive: true, force: true })

console.log('\n=== DBDB crash tests: stress summary ===')
for (const s of summaries) {
  const seed = s.seed === undefined ? '' : `  DBDB_SEED=${s.seed}`
  console.log(`${s.test.padEnd(20)} ${String(s.trials).padStart(6)} trials  ${String(s.failed).padStart(4)} failed${seed}`)
  for (const [k, v] of Object.entries(s.outcomes).sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`${' '.repeat(22)}${k.padEnd(44)} ${v}`)
  }
}
for (const t of failedTests) console.log(`FAILED: ${t}`)
console.log(`${passed} tests passed, ${failed} failed in ${minutes} min`)
process.exit(run.status !== 0 || failed > 0 || passed === 0 ? 1 : 0)
