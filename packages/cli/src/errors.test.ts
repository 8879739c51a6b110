// The dbdb command when the path is not a database file or the disk fails a read:
// one line on stderr and a database-error exit, never a wait without end, and an
// I/O error is never reported as damage.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { open } from '@dbdb/dbdb'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js')
let dir: string
let file: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dbdb-cli-errors-'))
  file = join(dir, 'tool.db')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

interface Result {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the command; a run that has not ended after 20 s is killed (status null): it hung. */
function dbdb(args: string[], options: { env?: NodeJS.ProcessEnv; preload?: string } = {}): Result {
  const pre = options.preload === undefined ? [] : ['--import', options.preload]
  const r = spawnSync(process.execPath, [...pre, main, ...args], {
    encoding: 'utf8',
    input: '',
    timeout: 20_000,
    env: { ...process.env, ...options.env },
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function expectOneLine(r: Result, code: number, text?: RegExp): void {
  expect(r.status, r.stderr).toBe(code)
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
  expect(r.stderr).toMatch(/^dbdb: /)
  if (text !== undefined) expect(r.stderr).toMatch(text)
}

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0
if (!hasMkfifo) console.log('cli errors.test: no mkfifo on this machine; the FIFO tests are skipped')

describe('a path that is not a database file', () => {
  it.skipIf(!hasMkfifo).each([['get', 'k'], ['scan'], ['stats'], ['check'], ['set', 'k', 'v']])(
    'a FIFO: %s exits 4 at once, naming it',
    (...args) => {
      const fifo = join(dir, 'pipe.db')
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
      expectOneLine(dbdb([fifo, ...args]), 4, /FIFO/)
    },
  )

  it.each([['get', 'k'], ['check'], ['set', 'k', 'v']])('/dev/null: %s exits 4, naming it a device', (...args) => {
    expectOneLine(dbdb(['/dev/null', ...args]), 4, /character device/)
  })
})

describe('numeric flags take whole numbers only', () => {
  it.each([
    ['scan', '--limit', '1.5'],
    ['scan', '--limit', '-1'],
    ['scan', '--limit', '1e3'],
    ['scan', '--limit', ''],
    ['scan', '--limit', '0x10'],
    ['history', '--limit', ' 2'],
    ['history', '--limit', '99999999999999999999'],
    ['compact', '--keep', '0'],
    ['load', '--batch', '0'],
  ])('%s %s %j exits 1', (...args) => {
    open(file).close()
    const r = dbdb([file, ...args])
    expect(r.status, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/^dbdb: --\w+ takes a whole number/)
  })
})

describe('check when the disk fails a read', () => {
  /**
   * Loaded before the command: the READ-th read (fs.readSync) of the database file
   * fails with EIO. The command reads through node:fs, so its ESM bindings are
   * updated after the patch.
   */
  function preload(): string {
    const path = join(dir, 'fail-read.mjs')
    writeFileSync(
      path,
      `import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
const target = process.env.FAIL_FILE
let left = Number(process.env.FAIL_READ)
const fds = new Set()
const openSync = fs.openSync
fs.openSync = function (p, ...rest) {
  const fd = openSync.call(this, p, ...rest)
  if (typeof p === 'string' && p.endsWith(target)) fds.add(fd)
  return fd
}
const closeSync = fs.closeSync
fs.closeSync = function (fd) { fds.delete(fd); return closeSync.call(this, fd) }
const readSync = fs.readSync
fs.readSync = function (fd, ...rest) {
  if (fds.has(fd) && --left === 0) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' })
  return readSync.call(this, fd, ...rest)
}
syncBuiltinESMExports()
`,
    )
    return path
  }

  it('is an I/O error (exit 4, one line naming EIO), never "DAMAGED", at whichever read it fails', () => {
    const db = open(file)
    for (let i = 0; i < 200; i++) db.set(`k${i}`, { i, pad: 'x'.repeat(50) })
    db.commit()
    db.set('k1', 'again')
    db.commit()
    db.close()
    const pre = preload()
    let failed = 0
    for (let n = 1; n < 200; n++) {
      const r = dbdb([file, 'check'], { preload: pre, env: { FAIL_FILE: 'tool.db', FAIL_READ: String(n) } })
      if (r.status === 0) break // check made fewer than n reads
      expect(r.stdout + r.stderr, `read ${n}`).not.toMatch(/DAMAGED/)
      expectOneLine(r, 4, /EIO/)
      failed++
    }
    expect(failed).toBeGreaterThan(3)
    // The file was sound all along.
    expect(dbdb([file, 'check']).status).toBe(0)
  })
})
