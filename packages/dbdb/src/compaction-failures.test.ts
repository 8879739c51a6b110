// Compaction that fails: whatever fails (a write or sync of the new file, its
// creation, the rename, the directory sync after it, the mark on the old file), the
// error carries a code, both writer locks are released, the temporary file is gone and
// the database is intact and writable by others. Faults are injected through the
// storage's FileIO (real files, with chosen calls failing), and another process checks
// that the lock is free. Also: what compaction does with things at NAME.compacting
// that it did not leave there.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type FileIO, isDbdbError } from '@dbdb/storage'
import { describe, expect, it } from 'vitest'
import type { Database } from './database.js'
import { open } from './index.js'
import { compactionPath } from './leftover.js'
import { code, composeDatabase, tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const dist = fileURLToPath(new URL('../dist/bundle/index.js', import.meta.url))

/** Commits `key` = `value` from another process without waiting for the lock: its exit code and stderr. */
function setElsewhere(file: string, key: string, value: number): { status: number | null; stderr: string } {
  const code = `import { open } from ${JSON.stringify(dist)}; const db = open(${JSON.stringify(file)}, { lockTimeoutMs: 0 }); db.set(${JSON.stringify(key)}, ${value}); db.commit(); db.close()`
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
  return { status: run.status, stderr: run.stderr }
}

function errnoError(errno: string, syscall: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${errno}: injected, ${syscall}`)
  err.code = errno
  err.syscall = syscall
  return err
}

/** Before each call, a hook may return an errno for the call to fail with (without effect). */
interface Hooks {
  open?(path: string, flags: string): string | undefined
  write?(path: string): string | undefined
  fsync?(path: string): string | undefined
  rename?(from: string, to: string): string | undefined
}

/** Node's file calls, with the hooks consulted first; `path` is the name a descriptor was opened by. */
function faultyIO(hooks: Hooks): FileIO {
  const names = new Map<number, string>()
  const check = (errno: string | undefined, syscall: string): void => {
    if (errno !== undefined) throw errnoError(errno, syscall)
  }
  return Object.assign(Object.create(fs) as FileIO, {
    openSync(path: string, flags: string, mode?: number): number {
      check(hooks.open?.(path, flags), 'open')
      const fd = fs.openSync(path, flags, mode)
      names.set(fd, path)
      return fd
    },
    closeSync(fd: number): void {
      names.delete(fd)
      fs.closeSync(fd)
    },
    writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
      check(hooks.write?.(names.get(fd) ?? ''), 'write')
      return fs.writeSync(fd, buf, offset, length, position)
    },
    fdatasyncSync(fd: number): void {
      check(hooks.fsync?.(names.get(fd) ?? ''), 'fdatasync')
      fs.fdatasyncSync(fd)
    },
    fsyncSync(fd: number): void {
      check(hooks.fsync?.(names.get(fd) ?? ''), 'fsync')
      fs.fsyncSync(fd)
    },
    renameSync(from: string, to: string): void {
      check(hooks.rename?.(from, to), 'rename')
      fs.renameSync(from, to)
    },
  })
}

/** What open() composes, with the storage's file calls going through `io`. */
function openWith(file: string, io: FileIO): Database<string> {
  return composeDatabase(file, { io }, { lockTimeoutMs: 1000 })
}

/** A database of `n` keys, each written three times (so compaction has something to drop). */
function makeDatabase(n = 300): string {
  const file = tempFile(dir)
  const db = open(file)
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < n; i++) db.set(`k${i}`, `${round}:${i}`)
    db.commit()
  }
  db.close()
  return file
}

function errorOf(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected an error')
}

/** The database is intact, another process can take its lock at once, and nothing is left at NAME.compacting. */
function expectIntactAndFree(file: string, n = 300): void {
  expect(fs.existsSync(compactionPath(file))).toBe(false)
  const other = setElsewhere(file, 'from-another-process', 1)
  expect(other.stderr).toBe('')
  expect(other.status).toBe(0)
  const db = open(file, { readOnly: true })
  expect(db.get('k0')).toBe('2:0')
  expect(db.get(`k${n - 1}`)).toBe(`2:${n - 1}`)
  expect(db.get('from-another-process')).toBe(1)
  expect(db.check().ok).toBe(true)
  db.close()
}

describe('a failed compaction releases both locks, removes its file and reports a code', () => {
  it('ENOSPC in the final catch-up (under the old file lock): DBDB_IO naming the new file; others can write at once', () => {
    const file = makeDatabase()
    const tmp = compactionPath(file)
    const other = open(file, { lockTimeoutMs: 0 })
    let commits = 0
    let armed = true
    // Before every write to the new file, another handle commits: so compaction always
    // has a commit to catch up with, also the last time, under the lock. That commit
    // fails with DBDB_LOCKED exactly when the compaction holds the old file's lock,
    // and then the write fails with ENOSPC.
    const io = faultyIO({
      write(path) {
        if (!armed || path !== tmp) return undefined
        try {
          other.set(`c${commits}`, commits)
          other.commit()
          commits++
          return undefined
        } catch (err) {
          if (!isDbdbError(err, 'DBDB_LOCKED')) throw err
          armed = false
          return 'ENOSPC'
        }
      },
    })
    const db = openWith(file, io)
    const err = errorOf(() => db.compact())
    expect(armed).toBe(false) // the fault landed in the catch-up under the lock
    expect(commits).toBeGreaterThan(1)
    expect(err.code).toBe('DBDB_IO')
    expect(err.message).toContain(tmp)
    expect(err.message).toContain('ENOSPC')
    expect(err.message).not.toMatch(/stays at transaction/)
    expectIntactAndFree(file)
    // The compacting handle is still usable: it reads every commit and writes.
    expect(db.get(`c${commits - 1}`)).toBe(commits - 1)
    db.set('after', 1)
    db.commit()
    expect(db.compact().txid).toBe(db.txid)
    expect(db.get('from-another-process')).toBe(1)
    other.close()
    db.close()
  })

  it('a failing creation of the new file: DBDB_IO, nothing left behind', () => {
    const file = makeDatabase()
    const db = openWith(
      file,
      faultyIO({
        open: (path, flags) =>
          path.includes(`${compactionPath(file).split('/').pop()}.`) && flags.startsWith('wx') ? 'ENOSPC' : undefined,
      }),
    )
    const err = errorOf(() => db.compact())
    expect(err.code).toBe('DBDB_IO')
    expect(err.message).toContain(compactionPath(file))
    expect(fs.readdirSync(dirname(file))).toEqual(['test.db'])
    expectIntactAndFree(file)
    db.close()
  })

  it('a failing rename: DBDB_IO, the database is unchanged and others can write', () => {
    const file = makeDatabase()
    const before = fs.statSync(file)
    const db = openWith(file, faultyIO({ rename: () => 'EIO' }))
    const err = errorOf(() => db.compact())
    expect(err.code).toBe('DBDB_IO')
    expect(err.message).toContain('EIO')
    expect(fs.statSync(file).ino).toBe(before.ino)
    expectIntactAndFree(file)
    db.set('after', 1) // the handle goes on
    db.commit()
    db.close()
  })

  it('a failing sync of the old file (its MOVED mark): DBDB_IO; the handle refuses writes until reopened, others write', () => {
    const file = makeDatabase()
    let lockedSyncs = 0
    const db = openWith(file, faultyIO({ fsync: (path) => (path === file && ++lockedSyncs === 1 ? 'EIO' : undefined) }))
    const err = errorOf(() => db.compact())
    expect(err.code).toBe('DBDB_IO')
    expectIntactAndFree(file)
    expect(db.get('k1')).toBe('2:1')
    expect(code(() => db.set('after', 1))).toBe('DBDB_IO')
    db.close()
    const again = open(file)
    again.set('after', 1)
    again.commit()
    again.close()
  })

  it('a failing directory sync after the rename: DBDB_IO saying the compacted file is in place but not yet durable', () => {
    const file = makeDatabase()
    let renamed = false
    const io = faultyIO({
      rename: () => {
        renamed = true
        return undefined
      },
      fsync: (path) => (renamed && path === dirname(file) ? 'EIO' : undefined),
    })
    const db = openWith(file, io)
    const before = fs.statSync(file)
    const err = errorOf(() => db.compact())
    expect(err.code).toBe('DBDB_IO')
    expect(err.message).toMatch(/in place/)
    expect(err.message).toMatch(/power loss/)
    expect(fs.statSync(file).ino).not.toBe(before.ino)
    expect(fs.statSync(file).size).toBeLessThan(before.size)
    expect(fs.existsSync(compactionPath(file))).toBe(false)
    // The handle has moved on to the compacted file: its writes are seen by everyone.
    db.set('after', 1)
    db.commit()
    expectIntactAndFree(file)
    const check = open(file, { readOnly: true })
    expect(check.get('after')).toBe(1)
    check.close()
    db.close()
  })
})

describe('another compaction finishing first', () => {
  it('is followed: compact() moves to the file it made and compacts that', () => {
    const file = makeDatabase()
    let done = false
    const io = faultyIO({
      open(path, flags) {
        // Just before this compaction creates its file, another process compacts.
        if (done || !flags.startsWith('wx') || !path.includes('.compacting.')) return undefined
        done = true
        const code = `import { open } from ${JSON.stringify(dist)}; const db = open(${JSON.stringify(file)}); db.compact(); db.close()`
        const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
        expect(run.stderr).toBe('')
        return undefined
      },
    })
    const db = openWith(file, io)
    // Not an inode comparison: the file system may give a new file a freed inode number.
    expect(db.compact().txid).toBe(3)
    expect(done).toBe(true)
    expect(db.history().map((h) => h.txid)).toEqual([3])
    db.set('after', 1)
    db.commit()
    expectIntactAndFree(file)
    db.close()
  })
})

describe('things at NAME.compacting that compaction did not leave', () => {
  it('a directory: DBDB_EXISTS naming it, nothing deleted, and open() still works', () => {
    const file = makeDatabase()
    fs.mkdirSync(compactionPath(file))
    fs.writeFileSync(`${compactionPath(file)}/keep`, 'x')
    const db = open(file)
    const err = errorOf(() => db.compact())
    expect(err.code).toBe('DBDB_EXISTS')
    expect(err.message).toContain(compactionPath(file))
    expect(fs.readFileSync(`${compactionPath(file)}/keep`, 'utf8')).toBe('x')
    db.close()
  })

  it('a FIFO: DBDB_EXISTS without hanging, at open() and at compact()', { timeout: 20_000 }, () => {
    const file = makeDatabase()
    const made = spawnSync('mkfifo', [compactionPath(file)])
    if (made.status !== 0) {
      console.log(`skipped: mkfifo is not available here (${made.error?.message ?? made.stderr})`)
      return
    }
    const db = open(file)
    expect(code(() => db.compact())).toBe('DBDB_EXISTS')
    expect(fs.lstatSync(compactionPath(file)).isFIFO()).toBe(true)
    db.close()
  })

  it('a file that is not a database, or a database that is not this one’s copy: refused, left as it was', () => {
    const file = makeDatabase()
    const tmp = compactionPath(file)
    fs.writeFileSync(tmp, 'my notes, unluckily named')
    open(file).close() // an open tidies only what it knows to be a compaction's
    expect(fs.readFileSync(tmp, 'utf8')).toBe('my notes, unluckily named')
    const db = open(file)
    const err = errorOf(() => db.compact())
    expect(err.code).toBe('DBDB_EXISTS')
    expect(err.message).toContain(tmp)
    expect(fs.readFileSync(tmp, 'utf8')).toBe('my notes, unluckily named')
    fs.rmSync(tmp)
    // Another database (another codec) at that name is not this one's leftover either.
    const stranger = open(tmp, { codec: 'json' })
    stranger.set('mine', 1)
    stranger.commit()
    stranger.close()
    expect(code(() => db.compact())).toBe('DBDB_EXISTS')
    const kept = open(tmp, { readOnly: true })
    expect(kept.get('mine')).toBe(1)
    kept.close()
    db.close()
  })

  it('what a killed compaction left is removed, by open() and by compact()', () => {
    const file = makeDatabase()
    const tmp = compactionPath(file)
    fs.copyFileSync(file, tmp) // a compaction's file holds this database's meta and commits
    open(file).close()
    expect(fs.existsSync(tmp)).toBe(false)
    const db = open(file)
    fs.copyFileSync(file, tmp)
    expect(db.compact().txid).toBe(3)
    expect(fs.existsSync(tmp)).toBe(false)
    db.close()
  })
})
