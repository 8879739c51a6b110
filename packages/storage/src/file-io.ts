// The file-system calls FileStorage makes, as one replaceable object. Node's `fs`
// module is the real implementation; tests substitute a simulated disk that can
// fail or "lose power" at any chosen call (see crash tests).

import * as fs from 'node:fs'

export interface FileIO {
  openSync(path: string, flags: string, mode?: number): number
  closeSync(fd: number): void
  fstatSync(fd: number): { size: number; isDirectory(): boolean; ino?: number; dev?: number }
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
   * throws EAGAIN while another open file holds it; 'unlock' releases it. Absent: the
   * native lock (see file-lock.ts).
   */
  lockSync?(fd: number, op: 'lock' | 'unlock'): void
}

export const nodeFileIO: FileIO = fs

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
