// The edges of the public API: every failure is a DbdbError with a stable code, or
// a TypeError/RangeError for a bad argument thrown before any work; nothing waits
// without end, whatever is at the path.
import { spawnSync } from 'node:child_process'
import { existsSync, linkSync, symlinkSync } from 'node:fs'
import { join, relative } from 'node:path'
import { type FileIO, nodeFileIO } from '@dbdb/storage'
import { describe, expect, it } from 'vitest'
import type { Database } from './database.js'
import { type OpenOptions, open } from './index.js'
import { code, composeDatabase, tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0
if (!hasMkfifo) console.log('errors.test: no mkfifo on this machine; the FIFO tests are skipped')

describe('open() of a path that is not a database file', () => {
  it.skipIf(!hasMkfifo).each([{ readOnly: true }, {}])('a FIFO (%j) is refused at once with DBDB_NOT_A_DATABASE', (options) => {
    const fifo = tempFile(dir, 'pipe.db')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    expect(code(() => open(fifo, options))).toBe('DBDB_NOT_A_DATABASE')
  })

  it.each([{ readOnly: true }, {}])('/dev/null (%j) is refused with DBDB_NOT_A_DATABASE', (options) => {
    expect(code(() => open('/dev/null', options))).toBe('DBDB_NOT_A_DATABASE')
  })

  it('a missing file with createIfMissing: false or readOnly is DBDB_NOT_FOUND', () => {
    const file = tempFile(dir, 'missing.db')
    expect(code(() => open(file, { createIfMissing: false }))).toBe('DBDB_NOT_FOUND')
    expect(code(() => open(file, { readOnly: true }))).toBe('DBDB_NOT_FOUND')
    expect(existsSync(file)).toBe(false)
  })
})

describe('open() type-checks every option before touching the file', () => {
  const cases: Array<[Partial<Record<keyof OpenOptions, unknown>>, ErrorConstructor]> = [
    [{ lockTimeoutMs: '200' }, TypeError],
    [{ lockTimeoutMs: [] }, TypeError],
    [{ lockTimeoutMs: null }, TypeError],
    [{ lockTimeoutMs: -1 }, RangeError],
    [{ lockTimeoutMs: Number.NaN }, RangeError],
    [{ cacheBytes: '1000' }, TypeError],
    [{ cacheBytes: -5 }, RangeError],
    [{ cacheBytes: Number.NaN }, RangeError],
    [{ readOnly: 'true' }, TypeError],
    [{ readOnly: 1 }, TypeError],
    [{ createIfMissing: 'no' }, TypeError],
    [{ errorIfExists: 0 }, TypeError],
    [{ durability: 'sync' }, TypeError],
    [{ keyEncoding: 1 }, TypeError],
    [{ tree: 7 }, TypeError],
    [{ codec: {} }, TypeError],
    [{ valueCodec: 'yaml' }, TypeError],
    [{ lockTimeout: 5 } as never, TypeError],
  ]
  it.each(cases)('%j throws %O', (options, type) => {
    const file = tempFile(dir, 'opts.db')
    expect(() => open(file, options as never)).toThrow(type)
    expect(existsSync(file)).toBe(false)
  })

  it('accepts Infinity for lockTimeoutMs and cacheBytes, fractions, and 0', () => {
    open(tempFile(dir, 'a.db'), { lockTimeoutMs: Infinity, cacheBytes: Infinity }).close()
    open(tempFile(dir, 'c.db'), { lockTimeoutMs: 2.5, cacheBytes: 1e6 / 3 }).close()
    open(tempFile(dir, 'b.db'), { lockTimeoutMs: 0, cacheBytes: 0 }).close()
  })
})

describe('ranges are validated wherever they are taken', () => {
  const bad: Array<[object, ErrorConstructor]> = [
    [{ limit: 1.5 }, RangeError],
    [{ limit: -1 }, RangeError],
    [{ limit: Number.NaN }, RangeError],
    [{ limit: '2' }, TypeError],
    [{ limit: null }, TypeError],
    [{ gt: 1 }, TypeError],
    [{ gte: null }, TypeError],
    [{ lt: {} }, TypeError],
    [{ lte: new Uint8Array(1) }, TypeError],
    [{ reverse: 'yes' }, TypeError],
    [{ reverse: 1 }, TypeError],
  ]
  it.each(bad)('%j: keys, values, entries, count, a snapshot and an at() view throw %O', (range, type) => {
    const db = open(tempFile(dir))
    db.set('a', 1)
    db.set('b', 2)
    db.commit()
    const snap = db.snapshot()
    const past = db.at(db.txid)
    for (const view of [db, snap, past]) {
      expect(() => view.keys(range as never)).toThrow(type)
      expect(() => view.values(range as never)).toThrow(type)
      expect(() => view.entries(range as never)).toThrow(type)
      expect(() => view.count(range as never)).toThrow(type)
    }
    db.close()
  })

  it('limit takes 0, whole numbers and Infinity', () => {
    const db = open(tempFile(dir))
    for (const k of ['a', 'b', 'c']) db.set(k, k)
    db.commit()
    expect([...db.keys({ limit: 0 })]).toEqual([])
    expect([...db.keys({ limit: 2 })]).toEqual(['a', 'b'])
    expect([...db.keys({ limit: Infinity })]).toEqual(['a', 'b', 'c'])
    expect(db.count({ limit: 2 })).toBe(2)
    expect(db.count({ limit: Infinity })).toBe(3)
    db.close()
  })

  it('history() and at() check their arguments', () => {
    const db = open(tempFile(dir))
    db.set('a', 1)
    db.commit()
    expect(() => db.history({ limit: 1.5 })).toThrow(RangeError)
    expect(() => db.history({ limit: -1 })).toThrow(RangeError)
    expect(() => db.history({ limit: '1' } as never)).toThrow(TypeError)
    expect(() => db.history(null as never)).toThrow(TypeError)
    expect(() => db.at('1' as never)).toThrow(TypeError)
    expect(() => db.at(1.5)).toThrow(RangeError)
    expect(() => db.at(-1)).toThrow(RangeError)
    expect(db.history({ limit: 1 })).toHaveLength(1)
    db.close()
  })
})

describe('read-your-writes between handles that reach one file by different names', () => {
  it('a handle through a symbolic link, a relative path or a hard link sees every commit of another at once', () => {
    const file = tempFile(dir, 'real.db')
    const writer = open(file)
    writer.set('n', 0)
    writer.commit()
    symlinkSync(file, join(dir(), 'sym.db'))
    linkSync(file, join(dir(), 'hard.db'))
    const readers = [open(join(dir(), 'sym.db')), open(relative(process.cwd(), file)), open(join(dir(), 'hard.db'))]
    let stale = 0
    for (let i = 1; i <= 300; i++) {
      writer.set('n', i)
      writer.commit()
      for (const r of readers) if (r.get('n') !== i) stale++
    }
    expect(stale).toBe(0)
    // After a compaction (a new file, a new inode, at the path) too.
    writer.compact()
    for (let i = 301; i <= 350; i++) {
      writer.set('n', i)
      writer.commit()
      // Only the symbolic link and the relative path follow the path: the hard link names the old file.
      for (const r of readers.slice(0, 2)) if (r.get('n') !== i) stale++
    }
    expect(stale).toBe(0)
    for (const r of readers) r.close()
    writer.close()
  })
})

describe('close() inside transaction(fn)', () => {
  it('makes the transaction throw DBDB_CLOSED, and its writes are lost', () => {
    const file = tempFile(dir)
    const db = open(file)
    db.set('kept', 1)
    db.commit()
    let err: unknown
    try {
      db.transaction(() => {
        db.set('lost', 1)
        db.close()
      })
    } catch (e) {
      err = e
    }
    expect((err as { code?: string } | undefined)?.code).toBe('DBDB_CLOSED')
    const again = open(file)
    expect(again.get('lost')).toBeUndefined()
    expect(again.get('kept')).toBe(1)
    again.close()
  })

  it('in a nested transaction as well', () => {
    const db = open(tempFile(dir))
    expect(
      code(() =>
        db.transaction(() => {
          db.set('a', 1)
          db.transaction(() => db.close())
        }),
      ),
    ).toBe('DBDB_CLOSED')
  })
})

/** Real files, with reads that fail with EIO while `failing` is set (counting down). */
function flakyFiles(): { io: FileIO; fail: (reads?: number) => void } {
  let failing = 0
  const io: FileIO = Object.assign(Object.create(nodeFileIO) as FileIO, {
    readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
      if (failing > 0 && --failing === 0)
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' })
      return nodeFileIO.readSync(fd, buf, offset, length, position)
    },
  })
  return {
    io,
    fail: (reads = 1) => {
      failing = reads
    },
  }
}

/** What open() composes, with the storage reading through `io`, and a cold cache. */
function openWith(file: string, io: FileIO): Database<string> {
  return composeDatabase(file, { io }, { cacheBytes: 0 })
}

describe('an OS error on a read (EIO) is DBDB_IO on every path of the public API', () => {
  function populated(): string {
    const file = tempFile(dir)
    const db = open(file)
    for (let i = 0; i < 2000; i++) db.set(`k${String(i).padStart(5, '0')}`, { i, pad: 'x'.repeat(40) })
    db.commit()
    for (let i = 0; i < 5; i++) {
      db.set(`k${String(i * 300).padStart(5, '0')}`, i)
      db.commit()
    }
    db.close()
    return file
  }

  const uses: Array<[string, (db: Database<string>) => unknown]> = [
    ['get', (db) => db.get('k01234')],
    ['has', (db) => db.has('k00042')],
    ['entries', (db) => [...db.entries()]],
    ['keys (reverse)', (db) => [...db.keys({ reverse: true })]],
    ['count', (db) => db.count({ gte: 'k00100', lt: 'k01900' })],
    ['a snapshot', (db) => [...db.snapshot().values()]],
    ['history', (db) => db.history()],
    ['at', (db) => [...db.at(db.txid - 2).entries()]],
    ['stats', (db) => db.stats()],
    ['check', (db) => db.check()],
    ['a write', (db) => db.transaction(() => db.set('k00500', 'new'))],
    ['compact', (db) => db.compact()],
  ]
  it.each(uses)('%s', (_, use) => {
    const file = populated()
    const { io, fail } = flakyFiles()
    // Every read of the operation in turn fails, while a cold cache makes it read from the file.
    let reads = 0
    for (let n = 1; ; n++) {
      const db = openWith(file, io)
      fail(n)
      let err: unknown
      try {
        use(db)
      } catch (e) {
        err = e
      }
      fail(0)
      db.close()
      if (err === undefined) break // the operation made fewer than n reads
      expect((err as { code?: string }).code, `read ${n}: ${String(err)}`).toBe('DBDB_IO')
      expect(((err as Error).cause as { code?: string }).code, `read ${n}`).toBe('EIO')
      reads = n
      if (n > 40) break
    }
    expect(reads).toBeGreaterThan(0)
    // And the database is as it was.
    const db = open(file, { readOnly: true })
    expect(db.check().ok).toBe(true)
    db.close()
  })

  it('open() itself', () => {
    const file = populated()
    const { io, fail } = flakyFiles()
    for (let n = 1; n < 5; n++) {
      fail(n)
      expect(
        code(() => openWith(file, io)),
        `read ${n}`,
      ).toBe('DBDB_IO')
    }
  })
})
