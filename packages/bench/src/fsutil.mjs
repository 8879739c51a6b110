// Small facts about files and this process: disk use of a store's files, peak RSS,
// and whether a directory is on a RAM-backed file system (where fsync means nothing).

import { lstatSync, readdirSync, readFileSync, statfsSync } from 'node:fs'
import { join } from 'node:path'

/** Bytes used by a file or a directory tree: allocated on disk (like du) and apparent (like ls). */
export function diskUse(path) {
  let allocated = 0
  let apparent = 0
  const walk = (p) => {
    let st
    try {
      st = lstatSync(p)
    } catch (err) {
      if (err.code === 'ENOENT') return
      throw err
    }
    allocated += st.blocks * 512
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) walk(join(p, name))
    } else {
      apparent += st.size
    }
  }
  walk(path)
  return { allocated, apparent }
}

/** A field of /proc/self/status in bytes (VmHWM = peak RSS, VmRSS = current RSS); null off Linux. */
export function procStatusBytes(field) {
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

const TMPFS_MAGIC = 0x01021994
const RAMFS_MAGIC = 0x858458f6

/** True when `dir` is on tmpfs/ramfs: fsync is then free and durable figures are meaningless. */
export function onRamDisk(dir) {
  try {
    const { type } = statfsSync(dir)
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC
  } catch {
    return false
  }
}
