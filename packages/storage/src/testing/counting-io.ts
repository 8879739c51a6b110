// Real file calls that keep count, for tests of how many reads, writes and syncs a
// path makes.
import * as fs from 'node:fs'
import type { FileIO } from '../file-io.js'

export interface FileCalls {
  /** The length asked for by each readSync, in order. */
  readonly reads: number[]
  /** The length of each writeSync, in order. */
  readonly writes: number[]
  /** fdatasync calls, synchronous or on the thread pool. */
  syncs: number
  fstats: number
}

/** Node's file calls, counted in `calls` (reset them by emptying the arrays and zeroing the counts). */
export function countingFileIO(): { io: FileIO; calls: FileCalls } {
  const calls: FileCalls = { reads: [], writes: [], syncs: 0, fstats: 0 }
  const io: FileIO = Object.assign(Object.create(fs) as FileIO, {
    readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
      calls.reads.push(length)
      return fs.readSync(fd, buf, offset, length, position)
    },
    writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
      calls.writes.push(length)
      return fs.writeSync(fd, buf, offset, length, position)
    },
    fdatasyncSync(fd: number): void {
      calls.syncs++
      fs.fdatasyncSync(fd)
    },
    fdatasync(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void {
      calls.syncs++
      fs.fdatasync(fd, callback)
    },
    fstatSync(fd: number): fs.Stats {
      calls.fstats++
      return fs.fstatSync(fd)
    },
  })
  return { io, calls }
}
