// Temp directories for tests that use real files.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

/** A fresh directory for each test, removed after it. */
export function useTempDir(): () => string {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })
  return () => (dir ??= mkdtempSync(join(tmpdir(), 'dbdb-test-')))
}

export function tempFile(dir: () => string, name = 'test.db'): string {
  return join(dir(), name)
}

/** The error code `fn` throws (its name for an error without one), or undefined when it does not throw. */
export function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).name
  }
  return undefined
}
