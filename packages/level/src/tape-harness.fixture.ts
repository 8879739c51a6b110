// Runs tape tests in this process on a harness of their own and collects every
// assertion, so a vitest file can report each one (abstract-level's suite is
// written for tape). Test helper only: not built, not exported.

import { inspect } from 'node:util'
import tape from 'tape'

export interface TapeAssertion {
  ok: boolean
  name: string
  skip: boolean
  todo: boolean
  /** For a failure: what tape would print under the `not ok` line. */
  details: string
}

export interface TapeTest {
  id: number
  name: string
  assertions: TapeAssertion[]
}

export type TestFunction = (name: string, fn: tape.TestCase) => void

interface Row {
  type: 'test' | 'assert' | 'end'
  id?: number
  test?: number
  name?: string
  ok?: boolean
  skip?: unknown
  todo?: unknown
  operator?: string
  expected?: unknown
  actual?: unknown
  error?: unknown
  at?: string
}

/**
 * Registers tests through `register(test)` and runs them one after another. A test
 * that has not ended after `timeoutMs` fails (tape's own timeout) and the run goes
 * on. Resolves, in run order, with each test and its assertions.
 */
export function runTape(register: (test: TestFunction) => void, timeoutMs: number): Promise<TapeTest[]> {
  const harness = tape.createHarness()
  // The stream must exist before the first test is added: it subscribes to them.
  const stream = harness.createStream({ objectMode: true })
  const tests = new Map<number, TapeTest>()
  return new Promise((resolve, reject) => {
    stream.on('data', (row: Row) => {
      if (row.type === 'test') {
        tests.set(row.id!, { id: row.id!, name: row.name ?? '', assertions: [] })
      } else if (row.type === 'assert') {
        tests.get(row.test!)?.assertions.push({
          ok: row.ok === true,
          name: row.name ?? '',
          skip: Boolean(row.skip),
          todo: Boolean(row.todo),
          details: row.ok === true ? '' : describeFailure(row),
        })
      }
    })
    stream.on('error', reject)
    harness.onFinish(() => resolve([...tests.values()]))
    try {
      register((name, fn) => harness(name, { timeout: timeoutMs }, fn))
    } catch (err) {
      reject(err)
    }
  })
}

function describeFailure(row: Row): string {
  const lines = [`operator: ${row.operator}`]
  if ('expected' in row || 'actual' in row) {
    lines.push(`expected: ${inspect(row.expected, { depth: 4 })}`, `actual:   ${inspect(row.actual, { depth: 4 })}`)
  }
  if (row.at) lines.push(`at: ${row.at}`)
  const stack = (row.error as Error | undefined)?.stack ?? (row.actual as Error | undefined)?.stack
  if (typeof stack === 'string') lines.push(stack)
  return lines.join('\n')
}
