// FileStorage.backup when it cannot be made: a destination that exists, a folder that
// does not, a disk that fails any one of the backup's calls. Every failure is a
// DbdbError with a code, and no temporary file is left behind.

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isDbdbError } from './errors.js'
import { FileStorage } from './file-storage.js'
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
