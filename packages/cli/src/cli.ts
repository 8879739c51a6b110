// The dbdb command: the verb table, help, dispatch, and how errors become one
// line and an exit code. `run` takes its output streams as arguments so it can
// be called in-process too. Parsing is in args.ts, the verbs in verbs/*.ts.

import { type Database, isDbdbError } from '@dbdb/dbdb'
import { parseArgs, UsageError } from './args.js'
import { oneLine } from './format.js'
import { isBrokenPipe } from './io.js'
import { CliError, type Context, EXIT, type Output, openDatabase, type Verb } from './verb.js'
import { dump } from './verbs/dump.js'
import { backup, check, compact, history, salvage, stats } from './verbs/maintain.js'
import { get, scan } from './verbs/read.js'
import { del, load, set } from './verbs/write.js'

export { EXIT, type Output } from './verb.js'

/** Every verb, in the order help lists them. */
const VERBS: readonly Verb[] = [get, set, del, scan, dump, load, check, stats, history, compact, backup, salvage]
const BY_NAME = new Map(VERBS.map((v) => [v.name, v]))

const EXIT_CODES = 'Exit codes: 0 ok, 1 bad arguments, 2 unknown verb, 3 key not found, 4 database error, 5 damage found by check'

function synopsis(verb: Verb): string {
  return ['dbdb DBFILE', verb.name, ...verb.args.map((a) => (a.optional ? `[${a.name}]` : a.name))].join(' ')
}

function optionSynopsis(verb: Verb): string {
  return verb.options.map((o) => `[--${o.name}${o.value ? ` ${o.value}` : ''}]`).join(' ')
}

/** `dbdb --help`: every verb with its one-line summary. */
export function usage(): string {
  const heads = VERBS.map((v) => synopsis(v))
  const width = Math.max(...heads.map((h) => h.length))
  return [
    'Usage: dbdb DBFILE VERB [ARGS...] [OPTIONS]',
    '       dbdb help [VERB]',
    '',
    ...VERBS.map((v, i) => `  ${heads[i]!.padEnd(width)}  ${v.summary}`),
    '',
    'Options go after the verb, in any order; `--` ends them (for keys that start with --).',
    '  --help, -h   show help: dbdb --help, dbdb DBFILE VERB --help, dbdb help VERB',
    '',
    'Reads open DBFILE read-only and never create it; set, delete and load create it.',
    'Long work draws a progress bar on stderr when stderr is a terminal.',
    '',
    EXIT_CODES,
    '',
  ].join('\n')
}

/** `dbdb help VERB`: the verb's arguments, options, details and examples. */
export function verbHelp(verb: Verb): string {
  const options = [...verb.options, { name: 'help', help: 'show this help' }]
  const heads = options.map((o) => `--${o.name}${'value' in o && o.value ? ` ${o.value}` : ''}`)
  const width = Math.max(...heads.map((h) => h.length))
  const lines = [`Usage: ${[synopsis(verb), optionSynopsis(verb)].filter(Boolean).join(' ')}`, '', `${capitalize(verb.summary)}.`]
  if (verb.details?.length) lines.push('', ...verb.details)
  lines.push('', 'Options:', ...options.map((o, i) => `  ${heads[i]!.padEnd(width)}  ${o.help}`))
  if (verb.examples?.length) lines.push('', 'Examples:', ...verb.examples.map((e) => `  ${e}`))
  lines.push('', EXIT_CODES, '')
  return lines.join('\n')
}

export function run(argv: string[], out: Output): number {
  const [file, verbName, ...rest] = argv
  if (file === undefined) return badArgs(out, 'missing DBFILE and VERB')
  if (file === '--help' || file === '-h') return help(out)
  if (file === 'help') return helpVerb(argv.slice(1), out)
  if (file.startsWith('--')) return badArgs(out, `unknown option ${file} (options go after the verb)`)
  if (verbName === undefined) return badArgs(out, 'missing VERB')
  if (verbName === '--help' || verbName === '-h') return help(out)
  if (verbName === 'help') return helpVerb(rest, out)
  const verb = BY_NAME.get(verbName)
  if (verb === undefined) {
    out.stderr(`dbdb: unknown verb '${verbName}'\n${usage()}`)
    return EXIT.BAD_VERB
  }

  let db: Database<Uint8Array> | undefined
  let ctx: Context | undefined
  try {
    const { positional, options, help: wantsHelp } = parseArgs(rest, verb.options)
    if (wantsHelp) {
      out.stdout(verbHelp(verb))
      return EXIT.OK
    }
    const required = verb.args.filter((a) => !a.optional).length
    if (positional.length < required || positional.length > verb.args.length) {
      const names = verb.args.map((a) => (a.optional ? `[${a.name}]` : a.name)).join(' ')
      throw new UsageError(names ? `${verb.name} takes ${names}` : `${verb.name} takes no arguments, not '${positional[0]}'`)
    }
    ctx = {
      file,
      args: positional,
      options,
      out,
      open: () => (db ??= openDatabase(file, verb.opens)),
    }
    return verb.run(ctx)
  } catch (err) {
    return failure(err, verb, ctx, out)
  } finally {
    db?.close()
  }
}

/** An error as one line on stderr and its exit code; anything unexpected (a bug) is rethrown. */
function failure(err: unknown, verb: Verb, ctx: Context | undefined, out: Output): number {
  if (err instanceof UsageError) return badArgs(out, err.message, verb)
  if (err instanceof CliError) {
    out.stderr(`dbdb: ${oneLine(err.message)}\n`)
    return err.exitCode
  }
  // The reader of our output went away (`dbdb FILE dump | head`): nothing left to say.
  if (isBrokenPipe(err)) return EXIT.OK
  const verbCode = ctx === undefined ? undefined : verb.onError?.(err, ctx)
  if (verbCode !== undefined) return verbCode
  // The library's errors: DbdbError for the database, TypeError/RangeError for a bad argument
  // (a key too long, not well-formed Unicode, a value the codec cannot store).
  if (err instanceof TypeError || err instanceof RangeError) {
    out.stderr(`dbdb: ${oneLine(err.message)}\n`)
    return EXIT.BAD_ARGS
  }
  if (isDbdbError(err) || typeof (err as NodeJS.ErrnoException).code === 'string') {
    out.stderr(`dbdb: ${oneLine((err as Error).message)}\n`)
    return EXIT.DB_ERROR
  }
  throw err
}

function help(out: Output): number {
  out.stdout(usage())
  return EXIT.OK
}

function helpVerb([name, ...extra]: string[], out: Output): number {
  if (name === undefined || name === '--help' || name === '-h') return help(out)
  if (extra.length > 0) return badArgs(out, 'help takes at most one VERB')
  const verb = BY_NAME.get(name)
  if (verb === undefined) {
    out.stderr(`dbdb: unknown verb '${name}'\n${usage()}`)
    return EXIT.BAD_VERB
  }
  out.stdout(verbHelp(verb))
  return EXIT.OK
}

/** Exit 1: the mistake in one line, then the usage (of the verb, when there is one). */
function badArgs(out: Output, why: string, verb?: Verb): number {
  const more =
    verb === undefined
      ? usage()
      : `Usage: ${[synopsis(verb), optionSynopsis(verb)].filter(Boolean).join(' ')}\nMore: dbdb help ${verb.name}\n`
  out.stderr(`dbdb: ${oneLine(why)}\n${more}`)
  return EXIT.BAD_ARGS
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
