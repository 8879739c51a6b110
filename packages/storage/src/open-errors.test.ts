// What open, create and reads report when the path holds something that is not a
// database file (a FIFO, a device, a socket, a directory, a dangling link) or the
// OS fails a call: always a DbdbError with a stable code, its OS error as the
// cause, and never a wait without end.

import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DbdbError, type DbdbErrorCode } from './errors.js'
import { FileStorage, type FileStorageOptions } from './file-storage.js'
import { SimDisk } from './testing/index.js'

let dir: string

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-open-errors-'))
})

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

function expectCode(fn: () => unknown, code: DbdbErrorCode, message?: RegExp): DbdbError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught, 'expected a throw').toBeInstanceOf(DbdbError)
  expect((caught as DbdbError).code, String(caught)).toBe(code)
  if (message !== undefined) expect((caught as DbdbError).message).toMatch(message)
  return caught as DbdbError
}

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0
if (!hasMkfifo) console.log('open-errors.test: no mkfifo on this machine; the FIFO tests are skipped')

const modes: Array<[string, FileStorageOptions]> = [
  ['read-only', { readOnly: true }],
  ['read-write', {}],
  ['read-write, create: false', { create: false }],
]

describe('FileStorage.open of a path that is not a regular file', () => {
  it.skipIf(!hasMkfifo).each(modes)('a FIFO (%s) is refused at once with DBDB_NOT_A_DATABASE', (_, options) => {
    const fifo = path.join(dir, 'pipe.db')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    // Before the fix the read-only open blocked forever: a hang here fails the test by its timeout.
    expectCode(() => FileStorage.open(fifo, options), 'DBDB_NOT_A_DATABASE', /FIFO/)
    expect(fs.statSync(fifo).isFIFO()).toBe(true)
  })

  it.each(modes)('/dev/null (%s) is refused with DBDB_NOT_A_DATABASE', (_, options) => {
    expectCode(() => FileStorage.open('/dev/null', options), 'DBDB_NOT_A_DATABASE', /character device/)
  })

  it.each(modes)('a directory (%s) is refused with DBDB_NOT_A_DATABASE', (_, options) => {
    expectCode(() => FileStorage.open(dir, options), 'DBDB_NOT_A_DATABASE', /directory/)
  })

  it.each(modes)('a socket (%s) is refused with DBDB_NOT_A_DATABASE', async (_, options) => {
    const sock = path.join(dir, 'sock.db')
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(sock, resolve))
    try {
      expectCode(() => FileStorage.open(sock, options), 'DBDB_NOT_A_DATABASE', /socket/)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('a symbolic link to a missing file: refused with DBDB_NOT_A_DATABASE, the target is not created', () => {
    const link = path.join(dir, 'link.db')
    const target = path.join(dir, 'missing', '..', 'target.db')
    fs.symlinkSync(target, link)
    expectCode(() => FileStorage.open(link), 'DBDB_NOT_A_DATABASE', /symbolic link/)
    expectCode(() => FileStorage.open(link, { readOnly: true }), 'DBDB_NOT_FOUND')
    expectCode(() => FileStorage.open(link, { exclusive: true }), 'DBDB_EXISTS')
    expect(fs.existsSync(path.join(dir, 'target.db'))).toBe(false)
    expect(fs.readdirSync(dir)).toEqual(['link.db']) // no temporary file left either
  })

  it('a symbolic link to a database opens the database', () => {
    const target = path.join(dir, 'real.db')
    FileStorage.open(target).close()
    fs.symlinkSync(target, path.join(dir, 'link.db'))
    const s = FileStorage.open(path.join(dir, 'link.db'))
    expect(s.identity).toBe(FileStorage.open(target, { readOnly: true }).identity)
    s.close()
  })

  it('a missing file that is not to be created is DBDB_NOT_FOUND, as is a missing directory', () => {
    const missing = path.join(dir, 'missing.db')
    expectCode(() => FileStorage.open(missing, { readOnly: true }), 'DBDB_NOT_FOUND', /does not exist/)
    expectCode(() => FileStorage.open(missing, { create: false }), 'DBDB_NOT_FOUND', /does not exist/)
    expectCode(() => FileStorage.open(path.join(dir, 'no', 'such.db')), 'DBDB_NOT_FOUND', /directory does not exist/)
    expect(fs.existsSync(missing)).toBe(false)
  })
})

const asRoot = process.getuid?.() === 0
if (asRoot)
  console.log('open-errors.test: running as root, so a folder without permissions cannot refuse; the SimDisk test of EACCES stands for it')

describe('permissions on real files', () => {
  it.skipIf(asRoot)('creating a database in a folder without permissions is DBDB_IO saying permission denied', () => {
    const locked = path.join(dir, 'locked')
    fs.mkdirSync(locked, 0o000)
    try {
      const err = expectCode(() => FileStorage.open(path.join(locked, 'x.db')), 'DBDB_IO', /permission denied/)
      expect((err.cause as NodeJS.ErrnoException).code).toBe('EACCES')
    } finally {
      fs.chmodSync(locked, 0o700)
    }
  })
})

describe('FileStorage: the OS failing a call at open, creation or read', () => {
  const DB = '/db/x.db'

  function diskWithData(): SimDisk {
    const disk = new SimDisk()
    const s = FileStorage.open(DB, { io: disk })
    s.lock()
    s.commit(s.append(Buffer.from('hello')))
    s.close()
    return disk
  }

  it.each(['ENOSPC', 'EIO', 'EFBIG'])(
    'creating a database under %s (any call of the creation) is DBDB_IO, cause kept, nothing left',
    (code) => {
      for (const call of ['openSync', 'writeSync', 'fsyncSync', 'linkSync'] as const) {
        const disk = new SimDisk()
        disk.failNext(call, code, { path: call === 'openSync' ? /\.creating$/ : call === 'linkSync' ? DB : undefined })
        const err = expectCode(() => FileStorage.open(DB, { io: disk }), 'DBDB_IO', new RegExp(code))
        expect((err.cause as NodeJS.ErrnoException).code, call).toBe(code)
        expect(disk.list(), call).toEqual([])
      }
    },
  )

  it('creating a database in a folder it may not write to is DBDB_IO saying permission denied', () => {
    const disk = new SimDisk()
    disk.failNext('openSync', 'EACCES', { path: /\.creating$/ })
    const err = expectCode(() => FileStorage.open(DB, { io: disk }), 'DBDB_IO', /permission denied/)
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EACCES')
  })

  it('a file it may not even read is DBDB_IO saying permission denied', () => {
    const disk = diskWithData()
    disk.failNext('openSync', 'EACCES', { path: DB, times: 2 })
    expectCode(() => FileStorage.open(DB, { io: disk }), 'DBDB_IO', /permission denied/)
  })

  it.each(['readSync', 'fstatSync'] as const)('EIO on a %s during open is DBDB_IO, and a retry opens', (call) => {
    const disk = diskWithData()
    for (const readOnly of [false, true]) {
      disk.failNext(call, 'EIO')
      const err = expectCode(() => FileStorage.open(DB, { io: disk, readOnly }), 'DBDB_IO', /EIO/)
      expect((err.cause as NodeJS.ErrnoException).code).toBe('EIO')
      FileStorage.open(DB, { io: disk, readOnly }).close()
    }
  })

  it('EIO on a record read is DBDB_IO (not CORRUPT), and the next read works', () => {
    const disk = diskWithData()
    const s = FileStorage.open(DB, { io: disk })
    const { root } = s.head()
    disk.failNext('readSync', 'EIO')
    expectCode(() => s.read(root), 'DBDB_IO', /EIO/)
    expect(Buffer.from(s.read(root)).toString()).toBe('hello')
    disk.failNext('readSync', 'EIO')
    expectCode(() => [...s.history()], 'DBDB_IO')
    s.close()
  })

  it('verify() under a failing read throws DBDB_IO instead of reporting damage', () => {
    const disk = diskWithData()
    const s = FileStorage.open(DB, { io: disk })
    const read = disk.readSync.bind(disk)
    let calls = 0
    disk.readSync = (...args) => {
      calls++
      return read(...args)
    }
    expect(s.verify().problems).toEqual([])
    const reads = calls
    expect(reads).toBeGreaterThan(2)
    for (let n = 1; n <= reads; n++) {
      // The n-th read of the verification fails.
      calls = 0
      disk.readSync = (...args) => {
        if (++calls === n) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' })
        return read(...args)
      }
      try {
        expectCode(() => s.verify(), 'DBDB_IO')
      } finally {
        disk.readSync = read
      }
    }
    expect(s.verify().problems).toEqual([])
    s.close()
  })
})

describe('FileStorage.open type-checks its options', () => {
  const file = (): string => path.join(dir, 'opts.db')
  it.each<[string, unknown, ErrorConstructor]>([
    ['lockTimeoutMs', '200', TypeError],
    ['lockTimeoutMs', [], TypeError],
    ['lockTimeoutMs', -1, RangeError],
    ['lockTimeoutMs', Number.NaN, RangeError],
    ['readOnly', 'true', TypeError],
    ['create', 0, TypeError],
    ['exclusive', 'yes', TypeError],
    ['base', 1.5, RangeError],
  ])('%s: %j is a %O, before the file is touched', (name, value, type) => {
    expect(() => FileStorage.open(file(), { [name]: value } as FileStorageOptions)).toThrow(type)
    expect(fs.existsSync(file())).toBe(false)
  })
})

describe('lock() and lockAsync() type-check their timeout', () => {
  it.each<[unknown, ErrorConstructor]>([
    ['200', TypeError],
    [[], TypeError],
    [-1, RangeError],
    [Number.NaN, RangeError],
  ])('%j is a %O, and the lock is not taken', async (timeout, type) => {
    const storage = FileStorage.open(path.join(dir, 'lock-timeout.db'))
    try {
      expect(() => storage.lock(timeout as number)).toThrow(type)
      await expect(storage.lockAsync(timeout as number)).rejects.toThrow(type)
      expect(storage.locked).toBe(false)
    } finally {
      storage.close()
    }
  })
})
