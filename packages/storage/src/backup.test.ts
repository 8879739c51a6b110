// FileStorage.backup when it cannot be made: a destination that exists, a folder that
// does not, a disk that fails any one of the backup's calls. Every failure is a
// DbdbError with a code, and no temporary file is left behind. And backup with
// `replace`: an existing file is replaced whole, or left as it was.

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isDbdbError } from './errors.js'
import { type FileIO, nodeFileIO } from './file-io.js'
import { type BackupOptions, FileStorage } from './file-storage.js'
import { SimDisk } from './testing/sim-disk.js'

let dir: string | undefined
afterEach(() => {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

function errorOf(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected an error')
}

/** A storage with one commit of a few records. */
function withData(s: FileStorage): FileStorage {
  s.lock()
  let root = 0
  for (let i = 0; i < 20; i++) root = s.append(Buffer.alloc(1000, i))
  s.commit(root)
  return s
}

describe('FileStorage.backup failures', () => {
  it('a destination that exists: DBDB_EXISTS, the destination untouched, no temporary file', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-backup-'))
    const s = withData(FileStorage.open(path.join(dir, 'a.db')))
    const dest = path.join(dir, 'b.db')
    fs.writeFileSync(dest, 'something else')
    const err = errorOf(() => s.backup(dest))
    expect(err.code).toBe('DBDB_EXISTS')
    expect(err.message).toContain(dest)
    expect(fs.readFileSync(dest, 'utf8')).toBe('something else')
    fs.mkdirSync(path.join(dir, 'c.db'))
    expect(errorOf(() => s.backup(path.join(dir!, 'c.db'))).code).toBe('DBDB_EXISTS')
    expect(fs.readdirSync(dir).sort()).toEqual(['a.db', 'b.db', 'c.db'])
    s.close()
  })

  it('a destination folder that does not exist: DBDB_IO naming it', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-backup-'))
    const s = withData(FileStorage.open(path.join(dir, 'a.db')))
    const err = errorOf(() => s.backup(path.join(dir!, 'missing', 'b.db')))
    expect(err.code).toBe('DBDB_IO')
    expect(err.message).toContain(path.join(dir, 'missing'))
    s.close()
  })

  it('ENOSPC or EIO at any call of the backup: a coded error or a whole backup, no temporary file left unsaid', () => {
    const probe = new SimDisk()
    withData(FileStorage.open('/db/a.db', { io: probe })).close()
    let failures = 0
    for (const kind of ['ENOSPC', 'EIO'] as const) {
      for (let at = 1; ; at++) {
        const disk = probe.restart()
        const s = FileStorage.open('/db/a.db', { io: disk })
        const start = disk.calls
        disk.failAt(start + at, kind)
        let failed: (Error & { code?: string }) | undefined
        try {
          s.backup('/db/b.db')
        } catch (err) {
          failed = err as Error & { code?: string }
        }
        s.close()
        const where = `${kind} at call ${at}`
        const extra = disk.list().filter((name) => name !== '/db/a.db' && name !== '/db/b.db')
        if (failed === undefined) {
          expect(extra, where).toEqual([])
          const copy = FileStorage.open('/db/b.db', { io: disk, readOnly: true })
          expect(copy.head().txid).toBe(1)
          copy.close()
          if (disk.calls < start + at) break // the fault would have come after the backup: every call was tried
          continue
        }
        failures++
        expect(isDbdbError(failed), `${where}: ${String(failed)}`).toBe(true)
        expect(failed.code, where).toBe('DBDB_IO')
        if (disk.exists('/db/b.db')) {
          // Linked into place, then the temporary name could not be removed: the
          // backup is whole, and the error names what is left.
          expect(extra.length, where).toBe(1)
          expect(failed.message, where).toContain(extra[0]!)
          const copy = FileStorage.open('/db/b.db', { io: disk, readOnly: true })
          expect(copy.head().txid).toBe(1)
          copy.close()
        } else {
          expect(extra, where).toEqual([])
        }
      }
    }
    expect(failures).toBeGreaterThan(4)
  })
})

/** The files in `folder` other than `keep`: temporary files left behind. */
function leftovers(folder: string, ...keep: string[]): string[] {
  return fs.readdirSync(folder).filter((name) => !keep.includes(name))
}

/** The payload of the root record of the newest commit in the database file at `file`. */
function rootOf(file: string): { txid: number; root: Buffer } {
  const s = FileStorage.open(file, { readOnly: true })
  try {
    const head = s.head()
    return { txid: head.txid, root: Buffer.from(s.read(head.root)) }
  } finally {
    s.close()
  }
}

/** node:fs, with one call (counting every call from when it is armed) failing with `code`. */
function faultyIO(): { io: FileIO; arm(at: number, code: string): void; calls(): number } {
  let armed = false
  let count = 0
  let failAt = 0
  let failCode = 'EIO'
  const io: Record<string, unknown> = {}
  for (const [name, call] of Object.entries(nodeFileIO)) {
    io[name] = (...args: unknown[]) => {
      if (armed && ++count === failAt) throw Object.assign(new Error(`${failCode}: injected fault in ${name}`), { code: failCode })
      return (call as (...a: unknown[]) => unknown)(...args)
    }
  }
  return {
    io: io as unknown as FileIO,
    arm(at, code) {
      armed = true
      count = 0
      failAt = at
      failCode = code
    },
    calls: () => count,
  }
}

describe('FileStorage.backup with replace', () => {
  it('replaces an existing file with a whole copy that opens with the newest commit', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-backup-'))
    const s = withData(FileStorage.open(path.join(dir, 'a.db')))
    const dest = path.join(dir, 'b.db')
    fs.writeFileSync(dest, 'an older backup')
    const head = s.backup(dest, { replace: true })
    expect(head.txid).toBe(1)
    expect(rootOf(dest)).toEqual({ txid: 1, root: Buffer.alloc(1000, 19) })
    // Replacing a backup of this database with a newer one, and a name that is free.
    s.lock()
    s.commit(s.append(Buffer.from('second')))
    expect(s.backup(dest, { replace: true }).txid).toBe(2)
    expect(rootOf(dest)).toEqual({ txid: 2, root: Buffer.from('second') })
    expect(s.backup(path.join(dir, 'c.db'), { replace: true }).txid).toBe(2)
    expect(rootOf(path.join(dir, 'c.db')).txid).toBe(2)
    expect(leftovers(dir, 'a.db', 'b.db', 'c.db')).toEqual([])
    s.close()
  })

  it('without replace (or with replace false) refuses an existing file as before: DBDB_EXISTS, untouched', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-backup-'))
    const s = withData(FileStorage.open(path.join(dir, 'a.db')))
    const dest = path.join(dir, 'b.db')
    fs.writeFileSync(dest, 'keep me')
    for (const options of [undefined, {}, { replace: false }]) {
      const err = errorOf(() => s.backup(dest, options))
      expect(err.code).toBe('DBDB_EXISTS')
      expect(err.message).toContain('never replaces')
      expect(fs.readFileSync(dest, 'utf8')).toBe('keep me')
    }
    expect(leftovers(dir, 'a.db', 'b.db')).toEqual([])
    expect(() => s.backup(dest, { replace: 'yes' as unknown as boolean })).toThrow(TypeError)
    expect(() => s.backup(dest, null as unknown as BackupOptions)).toThrow(TypeError)
    s.close()
  })

  it('refuses what is not a regular file, and the database itself (by any name): DBDB_EXISTS, nothing written', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-backup-'))
    const file = path.join(dir, 'a.db')
    const s = withData(FileStorage.open(file))
    const before = fs.readFileSync(file)
    fs.mkdirSync(path.join(dir, 'folder'))
    fs.writeFileSync(path.join(dir, 'target'), 'a file a link points at')
    fs.symlinkSync(path.join(dir, 'target'), path.join(dir, 'link'))
    fs.linkSync(file, path.join(dir, 'hard.db'))
    const cases: Array<[string, string]> = [
      [path.join(dir, 'folder'), 'not a regular file'],
      [path.join(dir, 'link'), 'not a regular file'],
      [file, 'is the database itself'],
      [path.join(dir, '.', 'a.db'), 'is the database itself'],
      [path.join(dir, 'hard.db'), 'is the database itself'],
    ]
    for (const [dest, why] of cases) {
      const err = errorOf(() => s.backup(dest, { replace: true }))
      expect(err.code, dest).toBe('DBDB_EXISTS')
      expect(err.message, dest).toContain(why)
    }
    expect(fs.readFileSync(file)).toEqual(before)
    expect(fs.statSync(path.join(dir, 'folder')).isDirectory()).toBe(true)
    expect(fs.readlinkSync(path.join(dir, 'link'))).toBe(path.join(dir, 'target'))
    expect(fs.readFileSync(path.join(dir, 'target'), 'utf8')).toBe('a file a link points at')
    expect(leftovers(dir, 'a.db', 'folder', 'target', 'link', 'hard.db')).toEqual([])
    expect(rootOf(file).txid).toBe(1)
    s.close()
  })

  it('refuses to replace through a FileIO that cannot look at the destination or rename: TypeError, nothing written', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-backup-'))
    const file = path.join(dir, 'a.db')
    withData(FileStorage.open(file)).close()
    const dest = path.join(dir, 'b.db')
    fs.writeFileSync(dest, 'keep me')
    for (const missing of ['lstatSync', 'statSync', 'renameSync'] as const) {
      const s = FileStorage.open(file, { io: { ...nodeFileIO, [missing]: undefined } })
      expect(() => s.backup(dest, { replace: true }), missing).toThrow(TypeError)
      expect(() => s.backup(file, { replace: true }), missing).toThrow(TypeError)
      s.close()
      expect(fs.readFileSync(dest, 'utf8')).toBe('keep me')
      expect(leftovers(dir, 'a.db', 'b.db')).toEqual([])
    }
  })

  it('looks at the destination again before the rename: one that became a folder during the copy is refused', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-backup-'))
    const file = path.join(dir, 'a.db')
    withData(FileStorage.open(file)).close()
    const dest = path.join(dir, 'b.db')
    fs.writeFileSync(dest, 'an older backup')
    const io: FileIO = {
      ...nodeFileIO,
      fsyncSync(fd) {
        nodeFileIO.fsyncSync(fd)
        // Someone else puts a folder at the destination while the copy is made.
        if (fs.statSync(dest).isFile()) {
          fs.rmSync(dest)
          fs.mkdirSync(dest)
        }
      },
    }
    const s = FileStorage.open(file, { io })
    const err = errorOf(() => s.backup(dest, { replace: true }))
    s.close()
    expect(err.code).toBe('DBDB_EXISTS')
    expect(err.message).toContain('not a regular file')
    expect(fs.statSync(dest).isDirectory()).toBe(true)
    expect(leftovers(dir, 'a.db', 'b.db')).toEqual([])
  })

  it('ENOSPC or EIO at any call of a replacing backup: the old file whole or the new one, no temporary file', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-backup-'))
    const file = path.join(dir, 'a.db')
    withData(FileStorage.open(file)).close()
    const dest = path.join(dir, 'b.db')
    let failures = 0
    const failedSteps = new Set<string>()
    for (const kind of ['ENOSPC', 'EIO'] as const) {
      for (let at = 1; ; at++) {
        fs.writeFileSync(dest, 'the old backup')
        const faulty = faultyIO()
        const s = FileStorage.open(file, { io: faulty.io })
        faulty.arm(at, kind)
        let failed: (Error & { code?: string }) | undefined
        try {
          s.backup(dest, { replace: true })
        } catch (err) {
          failed = err as Error & { code?: string }
        }
        const calls = faulty.calls()
        faulty.arm(0, kind)
        s.close()
        const where = `${kind} at call ${at}`
        expect(leftovers(dir, 'a.db', 'b.db'), where).toEqual([])
        if (failed === undefined) {
          expect(rootOf(dest).txid, where).toBe(1)
          if (calls < at) break // the fault would have come after the backup: every call was tried
          continue
        }
        failures++
        expect(isDbdbError(failed), `${where}: ${String(failed)}`).toBe(true)
        expect(failed.code, where).toBe('DBDB_IO')
        for (const step of ['copying', 'renaming', 'looking at']) if (failed.message.includes(step)) failedSteps.add(step)
        // Until the rename, the old file; after it (a failure closing the synced
        // directory), the whole new one.
        if (fs.readFileSync(dest).equals(Buffer.from('the old backup'))) continue
        expect(rootOf(dest).txid, where).toBe(1)
      }
    }
    expect(failures).toBeGreaterThan(4)
    expect([...failedSteps].sort()).toEqual(['copying', 'looking at', 'renaming'])
  })
})
