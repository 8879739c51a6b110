// The dbdb command: argument parsing, dispatch to verbs, and exit codes. `run`
// takes its output streams as arguments so tests can call it in-process too.

import { isDbdbError, open, type Database } from '@dbdb/dbdb'

export const EXIT = { OK: 0, BAD_ARGS: 1, BAD_VERB: 2, NOT_FOUND: 3, DB_ERROR: 4, DAMAGED: 5 } as const

export interface Output {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

interface Verb {
  args: string[]
  summary: string
  writes: boolean
  run(db: Database, args: string[], flags: Flags, out: Output): number
}

interface Flags {
  json: boolean
}

const VERBS: Record<string, Verb> = {
  get: {
    args: ['KEY'],
    summary: 'print the value stored under KEY',
    writes: false,
    run(db, [key], flags, out) {
      const value = db.get(key!)
      if (value === undefined) return notFound(out)
      out.stdout(`${formatValue(value, flags)}\n`)
      return EXIT.OK
    },
  },
  set: {
    args: ['KEY', 'VALUE'],
    summary: 'store VALUE under KEY and commit (VALUE is a string; with --json it is parsed as JSON)',
    writes: true,
    run(db, [key, raw], flags) {
      db.set(key!, flags.json ? JSON.parse(raw!) : raw)
      db.commit()
      return EXIT.OK
    },
  },
  check: {
    args: [],
    summary: 'verify both superblock slots, every checksum, the commit chain and the tree (exit 5 on damage)',
    writes: false,
    run(db, _args, flags, out) {
      const r = db.check()
      if (flags.json) {
        out.stdout(`${JSON.stringify(r)}\n`)
        return r.ok ? EXIT.OK : EXIT.DAMAGED
      }
      const { tree, codec } = db.composition
      const slots = r.storage.slots.map((s, i) => `${i}: ${s.ok ? `txid ${s.txid} ok` : `unusable (${s.note})`}`).join('; ')
      out.stdout(
        [
          `file     ${db.path}, ${r.storage.fileBytes} bytes, tree ${tree}, codec ${codec}`,
          `commit   txid ${r.txid}, ${r.keys} keys, height ${r.height}`,
          `slots    ${slots}`,
          `history  ${r.storage.commits} transactions intact from the start of the file`,
          `tail     ${r.storage.tailBytes} bytes after the last commit${r.storage.tailBytes ? ' (an interrupted transaction; the next writer cuts it off)' : ''}`,
          ...r.problems.map((p) => `damage   ${p}`),
          `result   ${r.ok ? 'ok' : 'DAMAGED'}`,
          '',
        ].join('\n'),
      )
      return r.ok ? EXIT.OK : EXIT.DAMAGED
    },
  },
  delete: {
    args: ['KEY'],
    summary: 'remove KEY and commit',
    writes: true,
    run(db, [key], _flags, out) {
      const existed = db.delete(key!)
      db.commit()
      return existed ? EXIT.OK : notFound(out)
    },
  },
}

export function usage(): string {
  const width = Math.max(...Object.entries(VERBS).map(([name, v]) => [name, ...v.args].join(' ').length))
  const lines = Object.entries(VERBS).map(([name, v]) => `  dbdb DBFILE ${[name, ...v.args].join(' ').padEnd(width)}  ${v.summary}`)
  return [
    'Usage: dbdb DBFILE VERB [ARGS...] [--json]',
    '',
    ...lines,
    '',
    'Options:',
    '  --json   values are JSON (set parses VALUE, get prints JSON)',
    '  --help   show this help',
    '',
    'Exit codes: 0 ok, 1 bad arguments, 2 unknown verb, 3 key not found, 4 database error, 5 damage found by check',
    '',
  ].join('\n')
}

export function run(argv: string[], out: Output): number {
  const flags: Flags = { json: false }
  const positional: string[] = []
  let options = true
  for (const arg of argv) {
    if (options && arg === '--') options = false
    else if (options && (arg === '--help' || arg === '-h')) {
      out.stdout(usage())
      return EXIT.OK
    } else if (options && arg === '--json') flags.json = true
    else if (options && arg.startsWith('--')) return badArgs(out, `unknown option ${arg}`)
    else positional.push(arg)
  }
  const [file, verbName, ...args] = positional
  if (file === undefined || verbName === undefined) return badArgs(out)
  const verb = Object.hasOwn(VERBS, verbName) ? VERBS[verbName] : undefined
  if (verb === undefined) {
    out.stderr(`dbdb: unknown verb '${verbName}'\n${usage()}`)
    return EXIT.BAD_VERB
  }
  if (args.length !== verb.args.length) return badArgs(out, `${verbName} takes ${verb.args.join(' ')}`)
  let db: Database | undefined
  try {
    // Reads never create the file or take the writer lock.
    db = open(file, verb.writes ? {} : { readOnly: true, createIfMissing: false })
    return verb.run(db, args, flags, out)
  } catch (err) {
    if (err instanceof SyntaxError) return badArgs(out, `VALUE is not valid JSON: ${err.message}`)
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      out.stderr(`dbdb: ${file} does not exist\n`)
      return EXIT.DB_ERROR
    }
    if (verbName === 'check' && isDbdbError(err, 'DBDB_CORRUPT')) {
      out.stderr(`dbdb: ${err.message}\nresult   DAMAGED\n`)
      return EXIT.DAMAGED
    }
    if (isDbdbError(err) || err instanceof TypeError || err instanceof RangeError || typeof code === 'string') {
      out.stderr(`dbdb: ${(err as Error).message}\n`)
      return EXIT.DB_ERROR
    }
    throw err
  } finally {
    db?.close()
  }
}

function formatValue(value: unknown, flags: Flags): string {
  if (typeof value === 'string' && !flags.json) return value
  return JSON.stringify(value)
}

function notFound(out: Output): number {
  out.stderr('Key not found\n')
  return EXIT.NOT_FOUND
}

function badArgs(out: Output, why?: string): number {
  out.stderr(`${why ? `dbdb: ${why}\n` : ''}${usage()}`)
  return EXIT.BAD_ARGS
}
