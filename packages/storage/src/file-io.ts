// The file-system calls FileStorage makes, as one replaceable object. Node's `fs`
// module is the real implementation; tests substitute a simulated disk that can
// fail or "lose power" at any chosen call (see crash tests).

import * as fs from 'node:fs'
import { ioError } from './errors.js'

export interface FileStat {
  size: number
  isDirectory(): boolean
  /** Absent: only directories are recognized as not being database files. */
  isFile?(): boolean
  isFIFO?(): boolean
  isSocket?(): boolean
  isCharacterDevice?(): boolean
  isBlockDevice?(): boolean
  ino?: number
  dev?: number
}

export interface FileIO {
  /**
   * `flags` is one of 'r', 'r+', 'wx', 'wx+'. Must not block, whatever is at the path
   * (a FIFO with no writer): the opener looks at what it opened with fstatSync and
   * refuses anything that is not a regular file.
   */
  openSync(path: string, flags: string, mode?: number): number
  closeSync(fd: number): void
  fstatSync(fd: number): FileStat
  /** Identity of the file now at `path` (compaction replaces it). Absent: replacement is not detected. */
  statSync?(path: string): { ino: number; dev: number; mtimeMs?: number }
  /** Names in a directory, to find temporary files a killed creation left. Absent: they are left. */
  readdirSync?(path: string): string[]
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number
  fdatasyncSync(fd: number): void
  /**
   * fdatasync on libuv's thread pool, so the event loop runs on while the disk works
   * (group commit). Absent: syncAsync() falls back to fdatasyncSync.
   */
  fdatasync?(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void
  /** pwrite on libuv's thread pool. Absent: writeAsync() falls back to writeSync. */
  write?(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (err: NodeJS.ErrnoException | null, written: number) => void,
  ): void
  fsyncSync(fd: number): void
  ftruncateSync(fd: number, length: number): void
  linkSync(existing: string, created: string): void
  /** Replaces `to` with `from` atomically (compaction's swap). Absent: compaction refuses. */
  renameSync?(from: string, to: string): void
  /** What is at `path`, not following a symbolic link (compaction looks before it opens a leftover). */
  lstatSync?(path: string, options: { throwIfNoEntry: false }): { isFile(): boolean } | undefined
  unlinkSync(path: string): void
  /**
   * The writer lock on `fd`: 'lock' is a non-blocking attempt at the exclusive lock that
   * throws EAGAIN while another open file holds it; 'share' the same for a shared lock
   * on the same byte (which only the exclusive one excludes; a read-only descriptor can
   * take it); 'unlock' releases either. Absent: the native lock (see file-lock.ts).
   */
  lockSync?(fd: number, op: 'lock' | 'share' | 'unlock'): void
}

/**
 * open(2) of a FIFO for reading blocks until a writer comes: opens of an existing
 * file are non-blocking (O_NONBLOCK changes nothing for a regular file, the only
 * kind a database is). Platforms without O_NONBLOCK (Windows) have no FIFOs at a path.
 */
const NONBLOCKING: Record<string, number | undefined> =
  fs.constants.O_NONBLOCK === undefined
    ? {}
    : { r: fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, 'r+': fs.constants.O_RDWR | fs.constants.O_NONBLOCK }

export const nodeFileIO: FileIO = {
  openSync: (p, flags, mode) => fs.openSync(p, NONBLOCKING[flags] ?? flags, mode),
  closeSync: fs.closeSync,
  fstatSync: (fd) => fs.fstatSync(fd),
  statSync: (p) => fs.statSync(p),
  readdirSync: (p) => fs.readdirSync(p),
  readSync: fs.readSync,
  writeSync: fs.writeSync,
  fdatasyncSync: fs.fdatasyncSync,
  fdatasync: fs.fdatasync,
  write: (fd, buffer, offset, length, position, callback) => fs.write(fd, buffer, offset, length, position, callback),
  fsyncSync: fs.fsyncSync,
  ftruncateSync: fs.ftruncateSync,
  linkSync: fs.linkSync,
  renameSync: fs.renameSync,
  lstatSync: (p, options) => fs.lstatSync(p, options),
  unlinkSync: fs.unlinkSync,
}

/** What is at a path, for an error message: 'a FIFO', 'a directory'... or undefined for a regular file. */
export function notAFile(stat: FileStat): string | undefined {
  if (stat.isDirectory()) return 'a directory'
  if (stat.isFile === undefined || stat.isFile()) return undefined
  if (stat.isFIFO?.()) return 'a FIFO (named pipe)'
  if (stat.isSocket?.()) return 'a socket'
  if (stat.isCharacterDevice?.()) return 'a character device'
  if (stat.isBlockDevice?.()) return 'a block device'
  return 'not a regular file'
}

/**
 * `io` with its reads (readSync, fstatSync) and closeSync reporting an OS error as DBDB_IO naming
 * `path`, its cause kept, so every layer above the storage sees a coded error. Writes
 * and syncs are left as they are: the commit paths report those themselves.
 */
export function reportingReadErrors(io: FileIO, path: string): FileIO {
  const wrapped = boundCalls(io)
  wrapped.closeSync = (fd) => {
    try {
      io.closeSync(fd)
    } catch (err) {
      throw ioError(err, `closing ${path}`)
    }
  }
  wrapped.fstatSync = (fd) => {
    try {
      return io.fstatSync(fd)
    } catch (err) {
      throw ioError(err, `fstat of ${path}`)
    }
  }
  wrapped.readSync = (fd, buffer, offset, length, position) => {
    try {
      return io.readSync(fd, buffer, offset, length, position)
    } catch (err) {
      throw ioError(err, `reading ${length} bytes at ${position} of ${path}`)
    }
  }
  return wrapped
}

/** Every call `io` has (its optional ones included), bound to it. */
function boundCalls(io: FileIO): FileIO {
  const calls: Record<string, unknown> = {}
  for (let o: object | null = io; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || name in calls) continue
      const value = (io as unknown as Record<string, unknown>)[name]
      if (typeof value === 'function') calls[name] = value.bind(io)
    }
  }
  return calls as unknown as FileIO
}

/** fdatasync off the event loop (or, for a FileIO without it, on a later turn of it). */
export function fdatasyncAsync(io: FileIO, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err: unknown): void => (err == null ? resolve() : reject(err))
    if (io.fdatasync !== undefined) {
      io.fdatasync(fd, done)
      return
    }
    setImmediate(() => {
      try {
        io.fdatasyncSync(fd)
      } catch (err) {
        done(err)
        return
      }
      done(null)
    })
  })
}

/** Writes all of `buf` at `position`, off the event loop where the FileIO can. */
export async function writeAsync(io: FileIO, fd: number, buf: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const n =
      io.write === undefined
        ? io.writeSync(fd, buf, done, buf.length - done, position + done)
        : await new Promise<number>((resolve, reject) =>
            io.write!(fd, buf, done, buf.length - done, position + done, (err, written) => (err ? reject(err) : resolve(written))),
          )
    if (n <= 0) throw Object.assign(new Error(`write returned ${n}`), { code: 'EIO' })
    done += n
  }
}
