// Opening a database file, and creating one atomically: the superblock is written
// and synced in a private temporary file that is then hard-linked into place.

import * as path from 'node:path'
import { DbdbError, isSystemError } from './errors.js'
import { type FileIO, notAFile } from './file-io.js'
import { baseHead } from './file-reader.js'
import { DATA_START, encodeSlot } from './format.js'
import type { StorageMeta } from './storage.js'

/**
 * `n` random bytes, from the Web Crypto global: importing node:crypto would add its
 * loading to every import of the package, for the few random bytes a new file, a
 * temporary name or a backup needs.
 */
export function randomBytes(n: number): Buffer {
  return globalThis.crypto.getRandomValues(Buffer.alloc(n))
}

export interface OpenFileOptions {
  readOnly?: boolean | undefined
  create?: boolean | undefined
  /** Create the file, and fail with DBDB_EXISTS if something is at its path (atomically: by link(2)). */
  exclusive?: boolean | undefined
  meta?: StorageMeta | undefined
  base?: number | undefined
}

export interface OpenedFile {
  fd: number
  /** Why the file is open read-only (undefined: writable). */
  readOnlyReason: string | undefined
  /** Names the file opened (device and inode), the same through every path that reaches it. */
  identity: string
}

export function newFileHeader(meta: StorageMeta, base: number): Buffer {
  const slot = encodeSlot({ ...baseHead(base), fileId: randomBytes(8), base, meta })
  return Buffer.concat([slot, slot])
}

/**
 * Opens the file, creating it atomically if missing: the superblock is written
 * and synced in a private temporary file that is then hard-linked into place.
 * link(2) never replaces an existing file, so when many processes create the same
 * database at once exactly one file wins and everyone opens it; a crash leaves at
 * worst a stray temporary file, never a half-made database, and the next creation
 * of that name removes strays over a minute old.
 */
export function openFile(io: FileIO, filePath: string, options: OpenFileOptions): OpenedFile {
  if (options.exclusive && (options.readOnly || options.create === false)) throw new TypeError('exclusive needs create and not readOnly')
  try {
    return openOrCreate(io, filePath, options)
  } catch (err) {
    throw openError(err, filePath, options)
  }
}

/**
 * An OS error of the open or the creation as a DbdbError (its cause kept): a missing
 * file or folder is DBDB_NOT_FOUND, a socket DBDB_NOT_A_DATABASE, anything else
 * (permission denied, a full or failing disk, a file too large) DBDB_IO, saying which.
 */
function openError(err: unknown, filePath: string, options: OpenFileOptions): unknown {
  if (!isSystemError(err)) return err
  const creating = !options.readOnly && options.create !== false
  switch (err.code) {
    case 'ENOENT':
      return new DbdbError(
        'DBDB_NOT_FOUND',
        creating ? `cannot create ${filePath}: its directory does not exist` : `${filePath} does not exist`,
        { cause: err },
      )
    case 'ENXIO': // open(2) of a socket
      return new DbdbError('DBDB_NOT_A_DATABASE', `${filePath} is a socket, not a database file`, { cause: err })
    case 'EACCES':
    case 'EPERM':
      return new DbdbError('DBDB_IO', `permission denied: cannot ${creating ? 'open or create' : 'open'} ${filePath} (${err.message})`, {
        cause: err,
      })
    default:
      return new DbdbError('DBDB_IO', `cannot ${creating ? 'open or create' : 'open'} ${filePath}: ${err.message}`, { cause: err })
  }
}

function openOrCreate(io: FileIO, filePath: string, options: OpenFileOptions): OpenedFile {
  if (options.readOnly) return { ...openExisting(io, filePath, 'r'), readOnlyReason: 'readOnly: true' }
  if (!options.exclusive) {
    try {
      return { ...openExisting(io, filePath, 'r+'), readOnlyReason: undefined }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      // open(2) refuses a directory for writing (EISDIR) before openExisting can fstat it.
      if (code === 'EISDIR') throw new DbdbError('DBDB_NOT_A_DATABASE', `${filePath} is a directory`, { cause: err })
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        return { ...openExisting(io, filePath, 'r'), readOnlyReason: `the file is not writable: ${code}` }
      }
      if (code !== 'ENOENT' || options.create === false) throw err
    }
  }
  return createFile(io, filePath, options)
}

/**
 * The creation itself, apart from openFile: a function is compiled at its first
 * call, and opening an existing file (every reopen) should not pay for this.
 */
function createFile(io: FileIO, filePath: string, options: OpenFileOptions): OpenedFile {
  const dir = path.dirname(filePath)
  const tmp = path.join(dir, temporaryName(path.basename(filePath)))
  let fd: number
  try {
    fd = io.openSync(tmp, 'wx+')
  } catch (err) {
    // A folder we may not write to: an exclusive creation of a file that is there
    // says so, rather than why it could not have made one.
    if (options.exclusive && io.statSync !== undefined && exists(io, filePath)) {
      throw new DbdbError('DBDB_EXISTS', `${filePath} exists already`, { cause: err })
    }
    throw err
  }
  try {
    io.writeSync(fd, newFileHeader(options.meta ?? {}, options.base ?? 0), 0, DATA_START, 0)
    io.fsyncSync(fd)
  } catch (err) {
    // A full or failing disk must not leave the temporary file behind (only a crash may).
    try {
      io.unlinkSync(tmp)
    } catch {
      // the first error is the one to report
    }
    throw err
  } finally {
    io.closeSync(fd)
  }
  let linkedBySomeoneElse = false
  try {
    io.linkSync(tmp, filePath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    // LOCKING: link(2) is the one atomic test: of many exclusive creations, one wins.
    if (options.exclusive) throw new DbdbError('DBDB_EXISTS', `${filePath} exists already`, { cause: err })
    linkedBySomeoneElse = true
  } finally {
    io.unlinkSync(tmp)
  }
  removeStaleTemporaries(io, dir, path.basename(filePath))
  syncDirectory(io, dir)
  try {
    return { ...openExisting(io, filePath, 'r+'), readOnlyReason: undefined }
  } catch (err) {
    // Something is at the path, yet open(2) finds nothing: a symbolic link to a file that
    // does not exist. Its target is not created (link(2) never follows a link, and a
    // database made wherever a link points would be a surprise): refused.
    if (!linkedBySomeoneElse || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    throw new DbdbError(
      'DBDB_NOT_A_DATABASE',
      `${filePath} is a symbolic link to a file that does not exist; DBDB does not create a link's target`,
      {
        cause: err,
      },
    )
  }
}

/** A creation takes milliseconds; a temporary file this old was left by a killed one. */
const STALE_TEMPORARY_MS = 60_000

/** Where a creation of `name` writes its superblock: `.NAME.PID.RANDOM.creating`. */
function temporaryName(name: string): string {
  return `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.creating`
}

/** Whether `entry` of the folder is a temporary file of a creation of `name` (see temporaryName). */
function isTemporaryOf(entry: string, name: string): boolean {
  const prefix = `.${name}.`
  return entry.startsWith(prefix) && /^\d+\.[0-9a-f]{8}\.creating$/.test(entry.slice(prefix.length))
}

/**
 * Removes the temporary files of creations of this name that were killed before
 * they cleaned up. Run only when creating (rare), and judged by age rather than by
 * process id, which another host or PID namespace sharing the folder could reuse.
 */
function removeStaleTemporaries(io: FileIO, dir: string, name: string): void {
  if (io.readdirSync === undefined || io.statSync === undefined) return
  try {
    for (const entry of io.readdirSync(dir)) {
      if (!isTemporaryOf(entry, name)) continue
      const file = path.join(dir, entry)
      const mtime = io.statSync(file).mtimeMs
      if (mtime !== undefined && Date.now() - mtime > STALE_TEMPORARY_MS) io.unlinkSync(file)
    }
  } catch {
    // Tidying only: a file that vanished meanwhile, or a folder we cannot list, is fine.
  }
}

function exists(io: FileIO, filePath: string): boolean {
  try {
    io.statSync!(filePath)
    return true
  } catch {
    return false
  }
}

/**
 * Opens what is at the path (without blocking: see FileIO.openSync) and refuses
 * anything but a regular file: a FIFO would block reads or fail them (ESPIPE), a
 * device (/dev/null) takes writes and fails syncs, a directory cannot be read.
 */
function openExisting(io: FileIO, filePath: string, flags: 'r' | 'r+'): { fd: number; identity: string } {
  const fd = io.openSync(filePath, flags)
  let kind: string | undefined
  let identity: string
  try {
    const stat = io.fstatSync(fd)
    kind = notAFile(stat)
    // The file itself, whatever name reached it (a symbolic link, a hard link, a relative path).
    identity = stat.ino !== undefined && stat.dev !== undefined ? `${stat.dev}:${stat.ino}` : `path:${path.resolve(filePath)}`
  } catch (err) {
    io.closeSync(fd)
    throw err
  }
  if (kind !== undefined) {
    io.closeSync(fd)
    throw new DbdbError('DBDB_NOT_A_DATABASE', `${filePath} is ${kind}, not a database file; it was left untouched`)
  }
  return { fd, identity }
}

export function syncDirectory(io: FileIO, dir: string): void {
  let fd: number | undefined
  try {
    fd = io.openSync(dir, 'r')
    io.fsyncSync(fd)
  } catch {
    // Some platforms cannot sync a directory; the data itself is already synced.
  } finally {
    if (fd !== undefined) io.closeSync(fd)
  }
}
