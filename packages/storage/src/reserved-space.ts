// Reserved space: zeros written past the end of a small commit that grew the file,
// in the same sync as the commit, so that the commits after it overwrite blocks the
// file already has instead of growing it. Readers and recovery stop at a record
// header of zeros, so zeros are never taken for records; verify() reports them as
// reserved bytes.

import { type FileIO, writeAsync } from './file-io.js'

/**
 * With durability 'fsync', a small commit (at most RESERVE_TX_MAX bytes) that grows the
 * file also writes zeros past its end, a sixteenth of the file (at least 16 KiB, at
 * most 16 MiB), in the same sync: an fdatasync that must also record a new file size
 * and new blocks costs more than one that only overwrites (the file system's
 * metadata must be written too). Large transactions (bulk loads, compaction)
 * do not reserve, so their files stay tight.
 */
export const RESERVE_TX_MAX = 1024 * 1024
const RESERVE_MIN = 16 * 1024
const RESERVE_MAX = 16 * 1024 * 1024
/** Zeros to write from (reserved space, and headers zeroed after a failed commit). */
export const ZEROS = Buffer.alloc(1024 * 1024)

/**
 * Zeros from `end` (where the commit that grew the file ends) to well past it (see
 * RESERVE_TX_MAX), written with `writeAt` before the commit's sync so that one sync
 * covers both. Returns where the zeros end.
 */
export function writeReserve(end: number, writeAt: (bytes: Buffer, position: number) => void): number {
  const target = reserveTarget(end)
  for (let at = end; at < target; ) {
    const n = Math.min(ZEROS.length, target - at)
    writeAt(ZEROS.subarray(0, n), at)
    at += n
  }
  return target
}

/** writeReserve, with the writes on libuv's thread pool. */
export async function writeReserveAsync(io: FileIO, fd: number, end: number): Promise<number> {
  const target = reserveTarget(end)
  for (let at = end; at < target; ) {
    const n = Math.min(ZEROS.length, target - at)
    await writeAsync(io, fd, ZEROS.subarray(0, n), at)
    at += n
  }
  return target
}

function reserveTarget(end: number): number {
  return end + Math.min(RESERVE_MAX, Math.max(RESERVE_MIN, Math.floor(end / 16)))
}
