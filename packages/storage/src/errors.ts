// The one error class of DBDB. Codes are stable: they never change meaning, so
// callers may branch on `err.code`. Bad arguments are `TypeError`/`RangeError`.

export type DbdbErrorCode =
  /** A record or superblock failed its checksum or points somewhere impossible, or a damaged transaction has intact commits after it. */
  | 'DBDB_CORRUPT'
  /** The file is not a DBDB database; it was left untouched. */
  | 'DBDB_NOT_A_DATABASE'
  /** The file was written by a newer format version than this library reads. */
  | 'DBDB_VERSION'
  /** The writer lock was not acquired within `lockTimeoutMs`. */
  | 'DBDB_LOCKED'
  /** No way to take a cross-process lock on this platform/installation. */
  | 'DBDB_LOCK_UNAVAILABLE'
  /** The handle (or snapshot) was closed. */
  | 'DBDB_CLOSED'
  /** A write was attempted through a read-only handle. */
  | 'DBDB_READ_ONLY'
  /**
   * The OS failed a call: a write or sync (the commit did not happen and the handle
   * refuses further writes), the release of the writer lock (earlier commits stand;
   * the handle refuses further writes), a read, or the opening or creation of the file
   * (a full disk, a permission denied: the message says which, `cause` is the OS error).
   */
  | 'DBDB_IO'
  /** The file does not exist and was not to be created (`readOnly`, `create: false`), or its directory does not exist. */
  | 'DBDB_NOT_FOUND'
  /** The options given to open() contradict what the file records (tree, codec). */
  | 'DBDB_MISMATCH'
  /** A past commit asked for by transaction id is not in the file's history. */
  | 'DBDB_NO_SUCH_COMMIT'
  /** A transaction was used in a way that cannot work (e.g. an async function). */
  | 'DBDB_TRANSACTION'
  /**
   * The file at the path is no longer the one this handle has open: compaction replaced it
   * (reopen the path; @dbdb/dbdb does so itself), or, reported by compact(), it was removed
   * or replaced by other means (`rm`, `mv`), and compaction left the path alone.
   */
  | 'DBDB_MOVED'
  /** The file was to be created (`exclusive`, dbdb's `errorIfExists`, a backup, compaction's `NAME.compacting`) but something exists at its path; it was left untouched. */
  | 'DBDB_EXISTS'
  /** Async writes were refused: the handle's write queue is full (`maxQueuedBytes`); await earlier writes first. */
  | 'DBDB_BUSY'

export class DbdbError extends Error {
  readonly code: DbdbErrorCode
  /** The file address involved, for corruption errors. */
  readonly address: number | undefined

  constructor(code: DbdbErrorCode, message: string, options?: { cause?: unknown; address?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'DbdbError'
    this.code = code
    this.address = options?.address
  }
}

export function isDbdbError(err: unknown, code?: DbdbErrorCode): err is DbdbError {
  return err instanceof DbdbError && (code === undefined || err.code === code)
}

export function corrupt(address: number, why: string): DbdbError {
  return new DbdbError('DBDB_CORRUPT', `corrupt record at address ${address}: ${why}`, { address })
}

/**
 * Whether `err` is an error of the operating system (it has an errno code such as
 * 'EIO' or 'ENOSPC'), not one of DBDB's own or a bug.
 */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  if (!(err instanceof Error) || err instanceof DbdbError) return false
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)
}

/** An OS error met while reading or opening `what`, as DBDB_IO with the OS error as its cause; any other error as it is. */
export function ioError(err: unknown, what: string): unknown {
  if (!isSystemError(err)) return err
  return new DbdbError('DBDB_IO', `${what} failed: ${err.message}`, { cause: err })
}
