// What every verb is made of, the exit codes, the error verbs fail with, and how they open the database.

import { type Database, type OpenOptions, open } from '@dbdb/dbdb'
import type { OptionSpec, Options } from './args.js'
import type { ProgressStream } from './progress.js'

export const EXIT = { OK: 0, BAD_ARGS: 1, BAD_VERB: 2, NOT_FOUND: 3, DB_ERROR: 4, DAMAGED: 5 } as const

export interface Output {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Where progress bars are drawn (stderr); nothing is drawn unless it is a terminal. */
  progress?: ProgressStream
}

export interface ArgSpec {
  readonly name: string
  readonly optional?: boolean
}

/**
 * How a verb opens the database: 'read' read-only and never creating the file,
 * 'create' writable and creating a missing file, 'existing' writable but the
 * file must exist.
 */
export type OpenMode = 'read' | 'create' | 'existing'

export interface Context {
  readonly file: string
  /** Positional arguments after the verb, as many as the verb declares. */
  readonly args: readonly string[]
  readonly options: Options
  readonly out: Output
  /**
   * Opens the database as the verb's `opens` says (once; later calls return the
   * same handle, which is closed when the verb ends). Verbs check their arguments
   * first, so a bad command line never creates or locks a file.
   */
  /** With binary keys (see keys.ts). */
  open(): Database<Uint8Array>
}

export interface Verb {
  readonly name: string
  readonly args: readonly ArgSpec[]
  readonly options: readonly OptionSpec[]
  /** One line, lower case, no full stop: shown in `dbdb --help`. */
  readonly summary: string
  /** More help, shown by `dbdb help VERB`. */
  readonly details?: readonly string[]
  readonly examples?: readonly string[]
  readonly opens: OpenMode
  run(ctx: Context): number
  /** A chance to turn an error into an exit code (check: corruption is exit 5). */
  onError?(err: unknown, ctx: Context): number | undefined
}

/** An expected failure: one line `dbdb: message` on stderr and this exit code. */
export class CliError extends Error {
  readonly exitCode: number
  constructor(exitCode: number, message: string) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

export function openDatabase(file: string, mode: OpenMode): Database<Uint8Array> {
  const modeOptions: OpenOptions =
    mode === 'read' ? { readOnly: true, createIfMissing: false } : mode === 'existing' ? { createIfMissing: false } : {}
  const options = { ...modeOptions, keyEncoding: 'binary' as const }
  try {
    return open(file, options)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const cause = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code
    if (code === 'DBDB_NOT_FOUND') {
      throw new CliError(
        EXIT.DB_ERROR,
        mode === 'create' ? `cannot create ${file}: its directory does not exist` : `${file} does not exist`,
      )
    }
    if (cause === 'EACCES' || cause === 'EPERM') throw new CliError(EXIT.DB_ERROR, `${file}: permission denied`)
    throw err
  }
}
