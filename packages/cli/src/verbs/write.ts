// Writing: set and delete one key, load JSON lines. Every write verb commits before it ends.

import { closeSync, fstatSync, openSync } from 'node:fs'
import { isatty } from 'node:tty'
import { isDbdbError } from '@dbdb/dbdb'
import { UsageError } from '../args.js'
import { readLines } from '../io.js'
import { HEX_OPTION, keyArg, keyFromHex, keyFromText } from '../keys.js'
import { group, progress } from '../progress.js'
import { CliError, EXIT, type Verb } from '../verb.js'
import { notFound } from './read.js'

export const set: Verb = {
  name: 'set',
  args: [{ name: 'KEY' }, { name: 'VALUE' }],
  options: [{ name: 'json', help: 'VALUE is JSON: store what it parses to (a number, an object, ...)' }, HEX_OPTION],
  summary: 'store VALUE (a string; JSON with --json) under KEY and commit',
  examples: ['dbdb app.db set greeting hello', `dbdb app.db set config '{"retries":3}' --json`, 'dbdb app.db set -- --odd-key -1'],
  opens: 'create',
  run({ args: [key, raw], options, open }) {
    let value: unknown = raw
    if (options.flag('json')) {
      try {
        value = JSON.parse(raw!)
      } catch (err) {
        throw new UsageError(`VALUE is not valid JSON: ${(err as Error).message}`)
      }
    }
    const k = keyArg(key!, options.flag('hex'))
    const db = open()
    db.set(k, value)
    db.commit()
    return EXIT.OK
  },
}

export const del: Verb = {
  name: 'delete',
  args: [{ name: 'KEY' }],
  options: [HEX_OPTION],
  summary: 'remove KEY and commit (exit 3 if there was none)',
  examples: ['dbdb app.db delete greeting'],
  opens: 'create',
  run({ args: [key], options, open, out }) {
    const k = keyArg(key!, options.flag('hex'))
    const db = open()
    const existed = db.delete(k)
    db.commit()
    return existed ? EXIT.OK : notFound(out.stderr)
  },
}

const DEFAULT_BATCH = 10_000
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A line of load's input that is not a record. */
class LineError extends Error {}

export const load: Verb = {
  name: 'load',
  args: [{ name: 'INPUT', optional: true }],
  options: [{ name: 'batch', value: 'N', help: `commit every N keys (default ${DEFAULT_BATCH})` }],
  summary: 'store JSON lines from INPUT or stdin (as dump writes them)',
  details: [
    'INPUT is a file; without it, or with -, the lines come from stdin.',
    'Each line is {"key":"...","value":ANY} or {"key":"...","base64":"..."} (bytes), with "keyHex"',
    'instead of "key" for a key given as hex bytes (a key that is not UTF-8); blank lines are',
    'skipped; a key seen twice keeps its last value. The input streams: it is read in chunks and',
    'committed every --batch keys, so memory stays bounded however large it is.',
    '',
    'A malformed line stops the load with exit 1, naming the line. The batch it is in is rolled',
    'back and earlier batches stay committed: the message says how many keys were committed and',
    'the line to resume from (tail -n +LINE INPUT | dbdb DBFILE load).',
    'The file is created when it does not exist.',
  ],
  examples: ['dbdb old.db dump | dbdb new.db load', 'dbdb app.db load users.jsonl', 'dbdb app.db load - < users.jsonl'],
  opens: 'create',
  run({ file, args: [input], options, open, out }) {
    const batch = options.integer('batch', 1) ?? DEFAULT_BATCH
    const fromStdin = input === undefined || input === '-'
    if (input === undefined && isatty(0)) {
      throw new UsageError('load reads JSON lines from INPUT or stdin, and stdin is a terminal: give INPUT (or - to type them)')
    }
    const name = fromStdin ? 'stdin' : input
    let fd = 0
    if (!fromStdin) {
      try {
        fd = openSync(input, 'r')
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        throw new CliError(EXIT.BAD_ARGS, `cannot read ${input}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
      }
    }
    try {
      const stat = fstatSync(fd)
      const db = open()
      let bytes = 0
      let lineNo = 0
      let loaded = 0
      let committed = 0
      let batchStart = 1
      let inBatch = 0
      const bar = progress(out.progress, `loading ${file}`, {
        total: stat.isFile() && stat.size > 0 ? stat.size : undefined,
        detail: () => `${group(loaded)} keys`,
      })
      try {
        for (const line of readLines(fd, (n) => (bytes += n))) {
          lineNo++
          const text = lineNo === 1 && line.startsWith('\uFEFF') ? line.slice(1) : line
          if (text.trim() === '') continue
          const [key, value] = parseRecord(text)
          try {
            db.set(key, value)
          } catch (err) {
            // The library's word for a bad key or value (too long, wrong type for the codec).
            if (err instanceof TypeError || err instanceof RangeError) throw new LineError(err.message)
            throw err
          }
          loaded++
          if (++inBatch === batch) {
            db.commit()
            committed = loaded
            inBatch = 0
            batchStart = lineNo + 1
          }
          bar.update(bytes)
        }
        db.commit()
      } catch (err) {
        if (db.inTransaction) db.rollback()
        // Whatever stopped the load, say what stays committed and where to resume.
        const done =
          committed === 0
            ? 'nothing was loaded'
            : `${committed} keys before line ${batchStart} were committed, nothing from line ${batchStart} on (resume: tail -n +${batchStart})`
        if (err instanceof LineError) throw new CliError(EXIT.BAD_ARGS, `line ${lineNo} of ${name}: ${err.message}; ${done}`)
        if (isDbdbError(err)) throw new CliError(EXIT.DB_ERROR, `${err.message}; ${done}`)
        throw err
      } finally {
        bar.finish()
      }
      out.stdout(`loaded ${loaded} keys into ${file}\n`)
      return EXIT.OK
    } finally {
      if (fd !== 0) closeSync(fd)
    }
  },
}

/** One line of load's input as [key, value]. */
function parseRecord(text: string): [Uint8Array, unknown] {
  let record: unknown
  try {
    record = JSON.parse(text)
  } catch (err) {
    throw new LineError(`not valid JSON (${(err as Error).message})`)
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new LineError('expected an object {"key":...,"value":...}')
  }
  const r = record as Record<string, unknown>
  const extra = Object.keys(r).find((k) => k !== 'key' && k !== 'keyHex' && k !== 'value' && k !== 'base64')
  if (extra !== undefined) throw new LineError(`unexpected field ${JSON.stringify(extra)}; a line is {"key":...,"value":...}`)
  let key: Uint8Array | undefined
  if (Object.hasOwn(r, 'key') === Object.hasOwn(r, 'keyHex')) throw new LineError('a line has "key" or "keyHex": exactly one of them')
  if (Object.hasOwn(r, 'key')) {
    if (typeof r.key !== 'string') throw new LineError('"key" must be a string')
    try {
      key = keyFromText(r.key, '"key"')
    } catch (err) {
      throw new LineError((err as Error).message)
    }
  } else {
    key = typeof r.keyHex === 'string' ? keyFromHex(r.keyHex) : undefined
    if (key === undefined) throw new LineError('"keyHex" must be hex digits, two a byte')
  }
  const hasValue = Object.hasOwn(r, 'value')
  if (hasValue === Object.hasOwn(r, 'base64')) throw new LineError('a line has "value" or "base64": exactly one of them')
  if (hasValue) return [key, r.value]
  if (typeof r.base64 !== 'string' || !BASE64.test(r.base64)) throw new LineError('"base64" must be a base64 string')
  return [key, Buffer.from(r.base64, 'base64')]
}
