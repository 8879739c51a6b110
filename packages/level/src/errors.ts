// DBDB's error codes as the LEVEL_* codes Level programs branch on. The DbdbError
// stays reachable as `cause`, with its own stable DBDB_* code.

import { isDbdbError } from '@dbdb/dbdb'
import ModuleError from 'module-error'

const LEVEL_CODES: Readonly<Record<string, string>> = {
  DBDB_CORRUPT: 'LEVEL_CORRUPTION',
  DBDB_IO: 'LEVEL_IO_ERROR',
  DBDB_LOCKED: 'LEVEL_LOCKED',
  DBDB_LOCK_UNAVAILABLE: 'LEVEL_LOCKED',
  DBDB_READ_ONLY: 'LEVEL_READONLY',
  DBDB_CLOSED: 'LEVEL_DATABASE_NOT_OPEN',
}

/** The error to hand to a Level caller for an error thrown by DBDB. */
export function levelError(err: unknown): unknown {
  if (!isDbdbError(err)) return err
  const code = LEVEL_CODES[err.code]
  return code === undefined ? err : new ModuleError(err.message, { code, cause: err })
}

export function invalidKey(message: string): ModuleError {
  return new ModuleError(message, { code: 'LEVEL_INVALID_KEY' })
}

export function notOpen(): ModuleError {
  return new ModuleError('Database is not open', { code: 'LEVEL_DATABASE_NOT_OPEN' })
}
