// Looking after a database file: check, stats, history, compact, backup.

import { statSync } from 'node:fs'
import { type DamageReport, isDbdbError, salvage as salvageDatabase } from '@dbdb/dbdb'
import { oneLine, percent } from '../format.js'
import { showKey } from '../keys.js'
import { during } from '../progress.js'
import { CliError, EXIT, type Verb } from '../verb.js'

export const check: Verb = {
  name: 'check',
  args: [],
  options: [{ name: 'json', help: 'print the report as one JSON object' }],
  summary: 'verify the whole file and the tree (exit 5 on damage)',
  details: [
    "Verifies both superblock slots, every record's checksum, the commit chain, and every node",
    'and value of the newest tree, read from disk. Exit 0 when sound, 5 when damaged.',
  ],
  examples: ['dbdb app.db check', 'dbdb app.db check --json'],
  opens: 'read',
  run({ file, options, open, out }) {
    const db = open()
    const r = during(out.progress, `checking ${file}`, () => db.check())
    if (options.flag('json')) {
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
        ...r.storage.damage.filter((d) => d.torn).map((d) => `torn     ${tornLine(d)}`),
        `reserved ${r.storage.reservedBytes} zero bytes at the end, for the next commits`,
        ...r.problems.map((p) => `damage   ${p}`),
        `result   ${r.ok ? 'ok' : 'DAMAGED'}`,
        '',
      ].join('\n'),
    )
    return r.ok ? EXIT.OK : EXIT.DAMAGED
  },
  onError(err, { out }) {
    // Damage bad enough that the file does not even open is still damage found by check.
    if (!isDbdbError(err, 'DBDB_CORRUPT')) return undefined
    out.stderr(`dbdb: ${oneLine(err.message)}\nresult   DAMAGED\n`)
    return EXIT.DAMAGED
  },
}

/** Damage that only commits written without a sync follow: a crash may have torn it, and the next writer cuts it off. */
function tornLine(d: DamageReport): string {
  const after = d.commitsAfter.length === 1 ? `commit ${d.commitsAfter[0]}` : `commits ${d.commitsAfter[0]} to ${d.commitsAfter.at(-1)}`
  return `transaction ${d.txid} (bytes ${d.start} to ${d.end}) is not whole, and only ${after}, written without a sync (durability none), follow it: a torn write, which the next writer cuts off with them`
}

export const salvage: Verb = {
  name: 'salvage',
  args: [{ name: 'DEST' }],
  options: [{ name: 'json', help: 'print the report as one JSON object' }],
  summary: 'copy every readable key of a damaged database into a new file DEST (exit 5 if some were lost)',
  details: [
    'Reads the newest intact commit of DBFILE, read-only, and writes every key it can read into',
    'DEST, a new database (an existing DEST is refused). Lists the key ranges it could not read',
    'and the damaged records behind them. Exit 0 when every key was copied, 5 when some were lost.',
  ],
  examples: ['dbdb app.db salvage app-salvaged.db', 'dbdb app.db salvage app-salvaged.db --json'],
  opens: 'read',
  run({ file, args: [dest], options, out }) {
    if (statSync(dest!, { throwIfNoEntry: false }) !== undefined)
      throw new CliError(EXIT.DB_ERROR, `${dest} exists; salvage writes a new file`)
    if (statSync(file, { throwIfNoEntry: false }) === undefined) throw new CliError(EXIT.DB_ERROR, `${file} does not exist`)
    const r = during(out.progress, `salvaging ${file}`, () => salvageDatabase(file, dest!))
    const code = r.lost.length === 0 ? EXIT.OK : EXIT.DAMAGED
    if (options.flag('json')) {
      const bound = (k: Uint8Array | undefined): string | null => (k === undefined ? null : showKey(k))
      out.stdout(
        `${JSON.stringify({ ...r, lost: r.lost.map((l) => ({ after: bound(l.after), before: bound(l.before), addresses: l.addresses })) })}\n`,
      )
      return code
    }
    const range = (after: Uint8Array | undefined, before: Uint8Array | undefined): string =>
      after === undefined && before === undefined
        ? 'every key'
        : after === undefined
          ? `keys before ${JSON.stringify(showKey(before!))}`
          : before === undefined
            ? `keys after ${JSON.stringify(showKey(after))}`
            : `keys after ${JSON.stringify(showKey(after))} and before ${JSON.stringify(showKey(before))}`
    out.stdout(
      [
        `salvaged ${file} at txid ${r.txid} into ${dest}: ${r.keys} keys`,
        ...r.damage
          .filter((d) => !d.torn)
          .map(
            (d) => `damage   transaction ${d.txid} (bytes ${d.start} to ${d.end}), intact commits after it: ${d.commitsAfter.join(', ')}`,
          ),
        ...r.lost.map(
          (l) => `lost     ${range(l.after, l.before)} (damaged record${l.addresses.length === 1 ? '' : 's'} at ${l.addresses.join(', ')})`,
        ),
        `result   ${r.lost.length === 0 ? 'every key copied' : 'some keys could not be read'}`,
        '',
      ].join('\n'),
    )
    return code
  },
}

export const stats: Verb = {
  name: 'stats',
  args: [],
  options: [{ name: 'json', help: 'print one JSON object' }],
  summary: 'print keys, file and live bytes, height, txid, tree and codecs',
  details: ['Live bytes are what the newest commit uses; the rest of the file is history that compact can drop.'],
  examples: ['dbdb app.db stats', 'dbdb app.db stats --json'],
  opens: 'read',
  run({ file, options, open, out }) {
    const db = open()
    // stats() reads every key and node of the newest commit: on a big file that takes a while.
    const s = during(out.progress, `reading ${file}`, () => db.stats())
    if (options.flag('json')) {
      out.stdout(`${JSON.stringify({ file, ...s })}\n`)
      return EXIT.OK
    }
    out.stdout(
      [
        `file        ${file}`,
        `txid        ${s.txid}`,
        `keys        ${s.keys}`,
        `file bytes  ${s.fileBytes}`,
        `live bytes  ${s.liveBytes} (${percent(s.liveBytes, s.fileBytes)}% of the file)`,
        `tree        ${s.tree}, height ${s.height}`,
        `codec       ${s.codec}, values ${s.valueCodec}`,
        '',
      ].join('\n'),
    )
    return EXIT.OK
  },
}

export const history: Verb = {
  name: 'history',
  args: [],
  options: [
    { name: 'limit', value: 'N', help: 'only the newest N commits' },
    { name: 'json', help: 'one JSON object a line: {"txid":...,"time":"...","keys":...}' },
  ],
  summary: 'list the commits in the file, newest first: txid, time, keys',
  details: ['Compaction drops history (except what compact --keep keeps).'],
  examples: ['dbdb app.db history --limit 5', 'dbdb app.db history --json'],
  opens: 'read',
  run({ options, open, out }) {
    const limit = options.integer('limit')
    const commits = open().history(limit === undefined ? {} : { limit })
    const json = options.flag('json')
    const width = Math.max(0, ...commits.map((c) => String(c.txid).length))
    for (const c of commits) {
      const time = new Date(c.time).toISOString()
      out.stdout(
        json ? `${JSON.stringify({ txid: c.txid, time, keys: c.size })}\n` : `${String(c.txid).padStart(width)}  ${time}  ${c.size} keys\n`,
      )
    }
    return EXIT.OK
  },
}

export const compact: Verb = {
  name: 'compact',
  args: [],
  options: [{ name: 'keep', value: 'N', help: 'keep the newest N commits, readable with history and at() (default 1: the newest only)' }],
  summary: 'rewrite the live data into a new, smaller file, atomically',
  details: [
    'Other readers and writers go on meanwhile; writers wait only for the final catch-up.',
    'A compaction interrupted at any point leaves the file as it was.',
  ],
  examples: ['dbdb app.db compact', 'dbdb app.db compact --keep 10'],
  opens: 'existing',
  run({ file, options, open, out }) {
    const keep = options.integer('keep', 1)
    const db = open()
    const r = during(out.progress, `compacting ${file}`, () => db.compact(keep === undefined ? {} : { keepHistory: keep }))
    const change =
      r.after < r.before
        ? `${percent(r.before - r.after, r.before)}% smaller`
        : r.after > r.before
          ? `${percent(r.after - r.before, r.before)}% larger`
          : 'no change'
    out.stdout(`compacted ${file}: ${r.before} -> ${r.after} bytes (${change})\n`)
    return EXIT.OK
  },
}

export const backup: Verb = {
  name: 'backup',
  args: [{ name: 'DEST' }],
  options: [{ name: 'force', help: 'replace DEST if it exists (atomically: the old DEST stays until the new one is whole)' }],
  summary: 'copy the newest commit into a new database file DEST',
  details: [
    'Refuses a DEST that exists, unless --force. Readers and writers of DBFILE may go on',
    'meanwhile; the backup holds one consistent commit and opens like any database.',
  ],
  examples: ['dbdb app.db backup app-2025-06-01.db', 'dbdb app.db backup nightly.db --force'],
  opens: 'read',
  run({ file, args: [dest], options, open, out }) {
    const existing = statSync(dest!, { throwIfNoEntry: false })
    if (existing?.isDirectory()) throw new CliError(EXIT.DB_ERROR, `${dest} is a directory; give the backup's file name`)
    if (existing !== undefined && !options.flag('force')) throw new CliError(EXIT.DB_ERROR, `${dest} exists; pass --force to replace it`)
    const db = open()
    // The library replaces DEST crash-safely: the old one stays until the new one is whole.
    const result = during(out.progress, `backing up ${file}`, () => db.backup(dest!, { replace: options.flag('force') }))
    out.stdout(`backed up ${file} at txid ${result.txid} to ${dest}: ${result.bytes} bytes\n`)
    return EXIT.OK
  },
}
