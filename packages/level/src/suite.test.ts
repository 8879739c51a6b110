// abstract-level's own conformance suite, the proof that DbdbLevel is a Level
// database. The suite is written for tape: it runs on a tape harness while this
// file is collected, and every tape assertion becomes one vitest test, so the
// suite's pass/fail/skip counts are the counts in the repository's summary line.
// It runs with DBDB's defaults (fsync durability), as a user gets them.

import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DbdbLevel } from './index.js'
import { runTape, type TestFunction } from './tape-harness.fixture.js'

const require = createRequire(import.meta.url)
const suite = require('abstract-level/test') as (options: { test: TestFunction; factory: (options?: object) => unknown }) => void

/** Per tape test; the slowest take well under a second. */
const TAPE_TIMEOUT_MS = 30_000

const dir = mkdtempSync(join(tmpdir(), 'dbdb-level-suite-'))
let files = 0
const started = performance.now()
const tests = await runTape((test) => {
  // A fresh database file per call, as the suite requires.
  suite({ test, factory: (options) => new DbdbLevel(join(dir, `${files++}.db`), options) })
}, TAPE_TIMEOUT_MS)
// Databases some tests leave open keep their descriptors; the files can go regardless.
rmSync(dir, { recursive: true, force: true })

const assertions = tests.flatMap((t) => t.assertions)
const failed = assertions.filter((a) => !a.ok && !a.skip && !a.todo).length
console.log(
  `abstract-level suite: ${tests.length} tests, ${assertions.length} assertions, ${failed} failed, ` +
    `${files} database files, ${((performance.now() - started) / 1000).toFixed(1)} s`,
)

describe('abstract-level suite', () => {
  it('ran', () => {
    expect(assertions.length).toBeGreaterThan(1000)
  })

  for (const test of tests) {
    if (test.assertions.length === 0) continue
    // Names repeat (the suite runs again on a sublevel), so the tape id leads.
    describe(`#${test.id} ${test.name}`, () => {
      test.assertions.forEach((a, i) => {
        const title = `${i + 1}: ${a.name}`
        if (a.skip) it.skip(title, () => {})
        else if (a.todo) it.todo(title)
        else
          it(title, () => {
            if (!a.ok) throw new Error(`${a.name}\n${a.details}`)
          })
      })
    })
  }
})
