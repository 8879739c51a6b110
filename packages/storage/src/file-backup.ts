// Backup: a consistent, openable copy of one commit, written while writers go on.
// The file is append-only, so the copy is the committed prefix of the database with
// fresh superblock slots pointing at that commit; it is written to a temporary file
// beside the destination, synced, and only then put in place: linked to a name that
// must be free, or (with `replace`) renamed over the file there, so the destination
// is never half-written and an old one stays whole until the new one replaces it.

import * as path from 'node:path'
import { DbdbError, isDbdbError } from './errors.js'
import { randomBytes, syncDirectory } from './file-create.js'
import type { FileIO } from './file-io.js'
import type { FileLock } from './file-lock.js'
import { baseHead, type FileHead, type RecordReader } from './file-reader.js'
import { DATA_START, SLOT_SIZE } from './format.js'
import { REFRESH_ATTEMPTS } from './head-record.js'

/** Backups copy in chunks of this size. */
const COPY_CHUNK = 1024 * 1024
/**
 * How long backup() waits for the writer lock, to be sure the commit it copies is
 * finished. A commit holds it only for its write and sync; past this wait the backup
 * copies the commit before the newest instead, which is finished in any case.
 */
const BACKUP_LOCK_WAIT_MS = 100

export interface BackupOptions {
  /**
   * Replace `dest` if it is a file already: the copy is written and synced beside it,
   * then renamed over it, and the directory synced, so a crash or a failure at any
   * point leaves either the old file or the whole new one. Only a regular file is
   * replaced, never the database itself. Default false: an existing `dest` is refused
   * with DBDB_EXISTS.
   */
  replace?: boolean
}

/** What writeBackup copies from. */
export interface BackupSource {
  /** The database's path, for messages. */
  readonly path: string
  readonly io: FileIO
  /** The database's descriptor: a destination that is this file is refused. */
  readonly fd: number
  readonly reader: RecordReader
  /** Where the commit being copied ends: the copy is the file's bytes before it. */
  readonly end: number
  /** A superblock slot pointing at that commit, written into both of the copy's slots. */
  readonly slot: Buffer
}

/** What finishedHead looks at: the handle being backed up. */
export interface HeadSource {
  readonly lock: FileLock
  readonly lockTimeoutMs: number
  readonly readOnly: boolean
  readonly reader: RecordReader
  readonly fileId: Buffer
  readonly base: number
  /** Brings the handle's head up to the newest commit in the file, and returns it. */
  refresh(): FileHead
}

/** Options are type-checked before anything is written. */
export function checkBackupOptions(options: BackupOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('backup options must be an object')
  if (options.replace !== undefined && typeof options.replace !== 'boolean')
    throw new TypeError(`replace must be a boolean, not ${typeof options.replace}`)
}

/**
 * Writes the copy `src` describes to `dest` (FileStorage.backup), which must not
 * exist unless `options.replace`.
 */
export function writeBackup(src: BackupSource, dest: string, options: BackupOptions = {}): void {
  const { io } = src
  const dir = path.dirname(dest)
  const replace = options.replace === true
  if (replace) checkReplaceable(src, dest)
  const tmp = path.join(dir, `.${path.basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.backup`)
  const failed = (what: string, err: unknown): DbdbError =>
    err instanceof DbdbError
      ? err
      : new DbdbError('DBDB_IO', `backup of ${src.path} to ${dest} failed ${what}: ${(err as Error).message}`, { cause: err })
  let out: number
  try {
    out = io.openSync(tmp, 'wx+')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DbdbError('DBDB_IO', `cannot back up ${src.path} to ${dest}: the folder ${dir} does not exist`, { cause: err })
    }
    throw failed(`creating ${tmp}`, err)
  }
  try {
    writeTo(io, out, src.slot, 0)
    writeTo(io, out, src.slot, SLOT_SIZE)
    const chunk = Buffer.allocUnsafe(COPY_CHUNK)
    for (let at = DATA_START; at < src.end; ) {
      const n = Math.min(chunk.length, src.end - at)
      src.reader.readAt(chunk.subarray(0, n), at)
      writeTo(io, out, chunk.subarray(0, n), at)
      at += n
    }
    io.fsyncSync(out)
  } catch (err) {
    // A full or failing disk must not leave the temporary file behind (only a crash may).
    quietly(() => io.closeSync(out))
    quietly(() => io.unlinkSync(tmp))
    throw failed(`copying into ${tmp}`, err)
  }
  try {
    io.closeSync(out)
  } catch (err) {
    quietly(() => io.unlinkSync(tmp))
    throw failed(`closing ${tmp}`, err)
  }
  if (replace) {
    // DURABILITY: rename(2) puts the synced copy in place of the old file atomically;
    // until the directory is synced a crash may bring back the old name, never a
    // half-written file.
    try {
      // The copy may have taken long: what is at dest now is what the rename replaces.
      checkReplaceable(src, dest)
      io.renameSync!(tmp, dest)
    } catch (err) {
      quietly(() => io.unlinkSync(tmp))
      throw failed(`renaming ${tmp} over it`, err)
    }
    syncDirectory(io, dir)
    return
  }
  try {
    io.linkSync(tmp, dest)
  } catch (err) {
    quietly(() => io.unlinkSync(tmp))
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DbdbError('DBDB_EXISTS', `${dest} exists already; a backup never replaces a file`, { cause: err })
    }
    throw failed(`linking ${tmp} to it`, err)
  }
  try {
    io.unlinkSync(tmp)
  } catch (err) {
    throw new DbdbError(
      'DBDB_IO',
      `backed up ${src.path} to ${dest}, complete, but removing its temporary name ${tmp} failed: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  syncDirectory(io, dir)
}

/** Writes all of `buf` to another file's descriptor at `position`. */
function writeTo(io: FileIO, fd: number, buf: Uint8Array, position: number): void {
  for (let done = 0; done < buf.length; ) done += io.writeSync(fd, buf, done, buf.length - done, position + done)
}

/** Cleanup after a failure: its own failure must not hide the one being reported. */
function quietly(fn: () => void): void {
  try {
    fn()
  } catch {
    // the first error is the one to report
  }
}

/**
 * The newest commit that no failure can take back, for a copy that outlives the
 * call. Another process's commit is readable from its write on, before its sync
 * succeeds or fails (and is cut off); its writer holds the lock until then, so a
 * head found holding the lock for a moment is finished. If the lock cannot be had
 * soon (a long transaction holds it, or this installation has no lock), the
 * commit before the newest: its writer found it holding the lock.
 */
export function finishedHead(src: HeadSource): FileHead {
  try {
    // A shared lock on the writer's byte for a read-only handle: it waits for a
    // commit in flight just as the writer lock does, takes nothing from writers
    // but that moment, and needs no descriptor open for writing.
    src.lock.acquire(Math.min(src.lockTimeoutMs, BACKUP_LOCK_WAIT_MS), src.readOnly ? 'share' : 'lock')
  } catch (err) {
    if (!isDbdbError(err, 'DBDB_LOCKED') && !isDbdbError(err, 'DBDB_LOCK_UNAVAILABLE')) throw err
    return newestButOne(src)
  }
  try {
    return src.refresh()
  } finally {
    src.lock.release()
  }
}

/** The commit before the newest (the newest, if it is the file's first). */
function newestButOne(src: HeadSource): FileHead {
  for (let attempt = 1; ; attempt++) {
    const head = src.refresh()
    if (head.address === 0) return head
    try {
      const record = src.reader.readCommit(head.address, head.end, src.fileId)
      if (record.prev === 0) return baseHead(src.base)
      // A commit's txStart is where the one before it ends (the scan checked the chain).
      const prev = src.reader.readCommit(record.prev, record.txStart, src.fileId)
      return Object.freeze({ txid: prev.txid, root: prev.root, time: prev.time, address: prev.address, end: record.txStart })
    } catch (err) {
      // The newest commit vanished while read (its sync failed): look again.
      if (!isDbdbError(err, 'DBDB_CORRUPT') || attempt >= REFRESH_ATTEMPTS) throw err
    }
  }
}

/**
 * A backup replaces only a regular file, and never the database it copies: checked
 * before anything is written. What is not there is fine (the rename creates it).
 */
function checkReplaceable(src: BackupSource, dest: string): void {
  const { io } = src
  if (io.renameSync === undefined || io.lstatSync === undefined || io.statSync === undefined) {
    throw new TypeError('a backup that replaces its destination needs a FileIO with renameSync, lstatSync and statSync')
  }
  let there: { isFile(): boolean } | undefined
  let ours = false
  try {
    // Not following a symbolic link: the rename would replace the link itself.
    there = io.lstatSync(dest, { throwIfNoEntry: false })
    if (there?.isFile() === true) {
      const mine = io.fstatSync(src.fd)
      const now = io.statSync(dest)
      ours = now.ino === mine.ino && now.dev === mine.dev
    }
  } catch (err) {
    throw new DbdbError('DBDB_IO', `cannot back up ${src.path} to ${dest}: looking at ${dest} failed: ${(err as Error).message}`, {
      cause: err,
    })
  }
  if (there !== undefined && !there.isFile()) {
    throw new DbdbError('DBDB_EXISTS', `${dest} exists and is not a regular file; a backup replaces only a file`)
  }
  if (ours) throw new DbdbError('DBDB_EXISTS', `${dest} is the database itself; a backup cannot replace it`)
}
