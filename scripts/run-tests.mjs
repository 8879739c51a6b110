#!/usr/bin/env node
// Runs every package's tests in one vitest run and ends with the line CI reads:
// "N passed, N failed". Exits non-zero on any failure, or when no test ran at all.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'dbdb-test-report-'))
const report = join(dir, 'vitest.json')
const args = ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]
const run = spawnSync('pnpm', args, { stdio: 'inherit', env: process.env })

let passed = 0
let failed = 0
let skipped = 0
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed = json.numPassedTests ?? 0
  // Failed tests, plus test files that failed without a failing test (a file that
  // does not even load): counting every failed suite too would count a test 3 times.
  const brokenFiles = (json.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length
  failed = (json.numFailedTests ?? 0) + brokenFiles
  skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0)
} else {
  console.error('no vitest report was written')
  failed = 1
}
rmSync(dir, { recursive: true, force: true })
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(run.status !== 0 || failed > 0 || passed === 0 ? 1 : 0)
