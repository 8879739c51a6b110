// The dbdb command through real child processes, as a user runs it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBPlusTree, open } from '@dbdb/dbdb'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js')
let dir: string
let file: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dbdb-cli-'))
  file = join(dir, 'tool.db')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

interface Result {
  status: number | null
  stdout: string
  stderr: string
}

function dbdb(...args: string[]): Result {
  return dbdbWith({}, ...args)
}

/** Runs the command with `input` on stdin (a pipe). */
function dbdbWith(options: { input?: string }, ...args: string[]): Result {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', input: options.input ?? '', maxBuffer: 256 << 20 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Fills `file` through the API (faster than one process per key). */
function fill(entries: Record<string, unknown>, path = file): void {
  const db = open(path, { durability: 'none' })
  try {
    db.transaction(() => {
      for (const [k, v] of Object.entries(entries)) db.set(k, v)
    })
  } finally {
    db.close()
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}

/** An expected failure is one line on stderr, never a stack trace. */
function expectOneLine(r: Result, code: number, text?: string): void {
  expect(r.status, r.stderr).toBe(code)
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
  expect(r.stderr).toMatch(/^dbdb: /)
  expect(r.stderr).not.toMatch(/\n\s+at /)
  if (text !== undefined) expect(r.stderr).toContain(text)
}

/** A bad command line: exit 1, the mistake on the first line, then the usage. */
function expectUsage(r: Result, text: string): void {
  expect(r.status, r.stderr).toBe(1)
  expect(r.stderr.split('\n')[0]).toBe(`dbdb: ${text}`)
  expect(r.stderr).toContain('Usage: dbdb DBFILE')
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

const VERBS = ['get', 'set', 'delete', 'scan', 'dump', 'load', 'check', 'stats', 'history', 'compact', 'backup', 'salvage']

describe('the original tool tests', () => {
  it('sets and gets a key', () => {
    expect(dbdb(file, 'set', 'a', 'b').status).toBe(0)
    const got = dbdb(file, 'get', 'a')
    expect(got.status).toBe(0)
    expect(got.stdout).toBe('b\n')
  })

  it('get of a deleted key exits 3 with "Key not found"', () => {
    dbdb(file, 'set', 'a', 'b')
    expect(dbdb(file, 'delete', 'a').status).toBe(0)
    const got = dbdb(file, 'get', 'a')
    expect(got.status).toBe(3)
    expect(got.stderr).toBe('Key not found\n')
  })
})

describe('arguments and exit codes', () => {
  it('bad argument counts exit 1 with usage on stderr', () => {
    const cases: [string[], string][] = [
      [[], 'Usage: dbdb DBFILE VERB'],
      [[file], 'Usage: dbdb DBFILE VERB'],
      [[file, 'get'], 'Usage: dbdb DBFILE get KEY'],
      [[file, 'get', 'a', 'b'], 'Usage: dbdb DBFILE get KEY'],
      [[file, 'set', 'a'], 'Usage: dbdb DBFILE set KEY VALUE'],
      [[file, 'scan', 'x'], 'Usage: dbdb DBFILE scan'],
      [[file, 'backup'], 'Usage: dbdb DBFILE backup DEST'],
    ]
    for (const [args, usage] of cases) {
      const r = dbdb(...args)
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr).toMatch(/^dbdb: /)
      expect(r.stderr).toContain(usage)
      expect(r.stdout).toBe('')
    }
    expect(existsSync(file)).toBe(false)
  })

  it('an unknown verb exits 2', () => {
    const r = dbdb(file, 'frobnicate', 'a')
    expect(r.status).toBe(2)
    expect(r.stderr).toContain("unknown verb 'frobnicate'")
  })

  it('an unknown option exits 1, naming it', () => {
    for (const args of [[file, 'get', 'a', '--frob'], [file, 'scan', '--limt', '3'], ['--frob'], [file, 'scan', '--reverse=yes']]) {
      const r = dbdb(...args)
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr.split('\n')[0]).toMatch(/^dbdb: (unknown option --(frob|limt)|--reverse takes no value)/)
    }
  })

  it('--help prints usage on stdout and exits 0', () => {
    const r = dbdb('--help')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('dbdb DBFILE get KEY')
    expect(r.stdout).toContain('Exit codes')
  })

  it('delete of a missing key exits 3', () => {
    dbdb(file, 'set', 'x', '1')
    expect(dbdb(file, 'delete', 'nope').status).toBe(3)
  })

  it('reading a missing file exits 4 and creates nothing', () => {
    const missing = join(dir, 'missing.db')
    for (const args of [['get', 'a'], ['scan'], ['dump'], ['stats'], ['history'], ['check'], ['compact'], ['backup', join(dir, 'b.db')]]) {
      expectOneLine(dbdb(missing, ...args), 4, 'does not exist')
    }
    expect(existsSync(missing)).toBe(false)
    expect(existsSync(join(dir, 'b.db'))).toBe(false)
  })

  it('a file that is not a database exits 4 with one line', () => {
    const notes = join(dir, 'notes.txt')
    writeFileSync(notes, 'hello\n'.repeat(2000))
    for (const args of [['get', 'a'], ['scan'], ['stats'], ['dump'], ['set', 'a', 'b']]) {
      expectOneLine(dbdb(notes, ...args), 4, 'not a DBDB database')
    }
    expect(readFileSync(notes, 'utf8')).toBe('hello\n'.repeat(2000))
  })

  it('--json stores and prints JSON; bad JSON exits 1', () => {
    expect(dbdb(file, 'set', 'cfg', '{"a":[1,2]}', '--json').status).toBe(0)
    expect(dbdb(file, 'get', 'cfg').stdout).toBe('{"a":[1,2]}\n')
    expect(dbdb(file, 'set', 'n', '42', '--json').status).toBe(0)
    expect(dbdb(file, 'get', 'n', '--json').stdout).toBe('42\n')
    const bad = dbdb(file, 'set', 'bad', '{nope', '--json')
    expect(bad.status).toBe(1)
    expect(bad.stderr.split('\n')[0]).toMatch(/^dbdb: VALUE is not valid JSON/)
    expect(dbdb(file, 'set', 's', 'plain').status).toBe(0)
    expect(dbdb(file, 'get', 's', '--json').stdout).toBe('"plain"\n')
  })

  it('keys and values may look like options after --', () => {
    expect(dbdb(file, 'set', '--', '--weird', '-v').status).toBe(0)
    expect(dbdb(file, 'get', '--', '--weird').stdout).toBe('-v\n')
    expect(dbdb(file, 'set', 'minus', '-1').status).toBe(0) // a lone dash word is an argument
    expect(dbdb(file, 'get', 'minus').stdout).toBe('-1\n')
  })

  it('bad numbers exit 1 with one clear first line', () => {
    fill({ a: '1' })
    expectUsage(dbdb(file, 'scan', '--limit', 'abc'), "--limit takes a whole number, not 'abc'")
    expectUsage(dbdb(file, 'scan', '--limit=-1'), "--limit takes a whole number, not '-1'")
    expectUsage(dbdb(file, 'history', '--limit', '1.5'), "--limit takes a whole number, not '1.5'")
    expectUsage(dbdb(file, 'compact', '--keep', '0'), "--keep takes a whole number of at least 1, not '0'")
    expectUsage(dbdb(file, 'load', '--batch', '0', '-'), "--batch takes a whole number of at least 1, not '0'")
    expectUsage(dbdb(file, 'scan', '--limit'), '--limit needs a value (--limit N)')
  })

  it('a key the library refuses exits 1 with one line', () => {
    expectOneLine(dbdb(file, 'set', 'k'.repeat(5000), 'v'), 1, 'keys are at most 4096 bytes')
  })

  it('a locked database exits 4 with one line', { timeout: 20_000 }, () => {
    fill({ a: '1' })
    const holder = open(file)
    try {
      holder.set('held', 'by the test') // the first write takes the writer lock
      const r = dbdb(file, 'set', 'b', '2')
      expectOneLine(r, 4)
      expect(r.stderr.toLowerCase()).toContain('lock')
      expect(dbdb(file, 'get', 'a').stdout).toBe('1\n') // reads are not blocked
    } finally {
      holder.close()
    }
  })
})

describe('help', () => {
  it('dbdb --help lists every verb', () => {
    const r = dbdb('--help')
    for (const verb of VERBS) expect(r.stdout).toMatch(new RegExp(`^  dbdb DBFILE ${verb}\\b`, 'm'))
    expect(r.stderr).toBe('')
    expect(dbdb('help').stdout).toBe(r.stdout)
    expect(dbdb(file, '--help').stdout).toBe(r.stdout)
  })

  it('every verb has --help, the same as dbdb help VERB, and it opens nothing', { timeout: 60_000 }, () => {
    for (const verb of VERBS) {
      const r = dbdb(file, verb, '--help')
      expect(r.status, verb).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatch(new RegExp(`^Usage: dbdb DBFILE ${verb}\\b`))
      expect(r.stdout).toContain('Options:')
      expect(r.stdout).toContain('--help')
      expect(r.stdout).toContain('Examples:')
      expect(dbdb('help', verb).stdout).toBe(r.stdout)
      expect(dbdb(file, verb, '-h').stdout).toBe(r.stdout)
    }
    // Help wins over missing arguments and unknown options; and no file was created.
    expect(dbdb(file, 'set', '--help').status).toBe(0)
    expect(dbdb(file, 'scan', '--frob', '--help').status).toBe(0)
    expect(existsSync(file)).toBe(false)
  })

  it('help names each option of a verb', () => {
    const scan = dbdb('help', 'scan').stdout
    for (const option of ['--gt K', '--gte K', '--lt K', '--lte K', '--prefix P', '--limit N', '--reverse', '--json', '--keys-only'])
      expect(scan).toContain(option)
    expect(dbdb('help', 'load').stdout).toContain('--batch N')
    expect(dbdb('help', 'backup').stdout).toContain('--force')
    expect(dbdb('help', 'compact').stdout).toContain('--keep N')
  })

  it('help of an unknown verb exits 2', () => {
    expect(dbdb('help', 'frob').status).toBe(2)
  })
})

describe('scan', () => {
  const data = {
    a: 'A',
    b: { n: 2 },
    ba: 3,
    bb: [4],
    c: 'C',
    d: null,
    'user:1': 'ann',
    'user:2': 'bob',
    'user:3': 'cy',
    usera: 'not a user:',
  }

  it('lists every key in order as KEY<TAB>VALUE, strings raw and others as JSON', () => {
    fill(data)
    const r = dbdb(file, 'scan')
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('')
    expect(lines(r.stdout)).toEqual([
      'a\tA',
      'b\t{"n":2}',
      'ba\t3',
      'bb\t[4]',
      'c\tC',
      'd\tnull',
      'user:1\tann',
      'user:2\tbob',
      'user:3\tcy',
      'usera\tnot a user:',
    ])
  })

  it('ranges: --gt, --gte, --lt, --lte, and --opt=value', () => {
    fill(data)
    const keys = (...args: string[]) => lines(dbdb(file, 'scan', '--keys-only', ...args).stdout)
    expect(keys('--gt', 'b', '--lt', 'c')).toEqual(['ba', 'bb'])
    expect(keys('--gte', 'b', '--lte', 'c')).toEqual(['b', 'ba', 'bb', 'c'])
    expect(keys('--gte=ba', '--lt=c')).toEqual(['ba', 'bb'])
    expect(keys('--gt', 'user:3')).toEqual(['usera'])
    expect(keys('--lt', 'a')).toEqual([])
    expectUsage(dbdb(file, 'scan', '--gt', 'a', '--gte', 'b'), 'give --gt or --gte, not both')
    expectUsage(dbdb(file, 'dump', '--lt', 'a', '--lte', 'b'), 'give --lt or --lte, not both')
  })

  it('--prefix lists exactly the keys that start with it, and combines with bounds', () => {
    fill({ ...data, 'user:\uffff': 'U+FFFF', 'user:😀': 'emoji', 'user;': 'next char', user: 'no colon' })
    const keys = (...args: string[]) => lines(dbdb(file, 'scan', '--keys-only', ...args).stdout)
    expect(keys('--prefix', 'user:')).toEqual(['user:1', 'user:2', 'user:3', 'user:\uffff', 'user:😀'])
    expect(keys('--prefix', 'user:', '--gt', 'user:1', '--limit', '2')).toEqual(['user:2', 'user:3'])
    expect(keys('--prefix', 'user:', '--lt', 'user:3')).toEqual(['user:1', 'user:2'])
    expect(keys('--prefix', 'user:', '--gte', 'a', '--lte', 'z')).toHaveLength(5)
    expect(keys('--prefix', 'b')).toEqual(['b', 'ba', 'bb'])
    expect(keys('--prefix', 'zzz')).toEqual([])
    expect(keys('--prefix', '')).toHaveLength(Object.keys(data).length + 4)
  })

  it('--limit, --reverse and --json', () => {
    fill(data)
    expect(lines(dbdb(file, 'scan', '--limit', '2').stdout)).toEqual(['a\tA', 'b\t{"n":2}'])
    expect(lines(dbdb(file, 'scan', '--limit', '0').stdout)).toEqual([])
    expect(lines(dbdb(file, 'scan', '--reverse', '--limit', '3', '--keys-only').stdout)).toEqual(['usera', 'user:3', 'user:2'])
    expect(lines(dbdb(file, 'scan', '--prefix', 'user:', '--reverse').stdout)).toEqual(['user:3\tcy', 'user:2\tbob', 'user:1\tann'])
    const json = lines(dbdb(file, 'scan', '--json', '--gte', 'b', '--lt', 'c').stdout).map((l) => JSON.parse(l))
    expect(json).toEqual([
      { key: 'b', value: { n: 2 } },
      { key: 'ba', value: 3 },
      { key: 'bb', value: [4] },
    ])
    expect(lines(dbdb(file, 'scan', '--json', '--keys-only', '--limit', '1').stdout)).toEqual(['{"key":"a"}'])
  })

  it('--json keeps keys with tabs and line breaks unambiguous', () => {
    fill({ 'two\nlines': 'x\ty' })
    expect(JSON.parse(dbdb(file, 'scan', '--json').stdout)).toEqual({ key: 'two\nlines', value: 'x\ty' })
  })

  it('an empty database lists nothing', () => {
    fill({})
    const r = dbdb(file, 'scan')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('')
  })
})

describe('dump and load', () => {
  const data: Record<string, unknown> = {
    plain: 'hello',
    number: 42,
    float: -1.5,
    object: { nested: { list: [1, 'two', null, true] } },
    empty: '',
    nothing: null,
    ключ: 'значение',
    'emoji 🐕': '🦴',
    'tab\tand\nnewline': 'line\nbreak',
  }

  it('dump writes one JSON line a key, in key order', () => {
    fill(data)
    const r = dbdb(file, 'dump')
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('')
    const records = lines(r.stdout).map((l) => JSON.parse(l))
    expect(records.map((x) => x.key)).toEqual([...Object.keys(data)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))))
    for (const { key, value } of records) expect(value).toEqual(data[key])
    expect(lines(dbdb(file, 'dump', '--prefix', 'e').stdout).map((l) => JSON.parse(l).key)).toEqual(['emoji 🐕', 'empty'])
  })

  it('keys that are not UTF-8 (binary keys) survive dump | load exactly, and --hex reaches them', () => {
    const db = open(file, { keyEncoding: 'binary' })
    const keys = [Uint8Array.of(0xff, 0x00, 0x80), Uint8Array.of(0xc3), Buffer.from('text', 'utf8'), Uint8Array.of(0x00)]
    for (const [i, k] of keys.entries()) db.set(k, `v${i}`)
    db.commit()
    db.close()
    // Text output shows them as 0x and hex, JSON lines as "keyHex"; UTF-8 keys stay text.
    expect(lines(dbdb(file, 'scan', '--keys-only').stdout)).toEqual(['\u0000', 'text', '0xc3', '0xff0080'])
    expect(lines(dbdb(file, 'scan', '--json', '--keys-only').stdout)).toEqual([
      '{"key":"\\u0000"}',
      '{"key":"text"}',
      '{"keyHex":"c3"}',
      '{"keyHex":"ff0080"}',
    ])
    const dumped = dbdb(file, 'dump')
    expect(lines(dumped.stdout)).toContain('{"keyHex":"ff0080","value":"v0"}')
    const fresh = join(dir, 'fresh-binary.db')
    expect(dbdbWith({ input: dumped.stdout }, fresh, 'load').status).toBe(0)
    const copy = open(fresh, { keyEncoding: 'binary', readOnly: true })
    expect([...copy.keys()].map((k) => Buffer.from(k).toString('hex'))).toEqual(['00', '74657874', 'c3', 'ff0080'])
    copy.close()
    // --hex: KEY and bounds as hex bytes.
    expect(dbdb(file, 'get', 'ff0080', '--hex').stdout).toBe('v0\n')
    expect(dbdb(file, 'get', '0xc3', '--hex').stdout).toBe('v1\n')
    expect(dbdb(file, 'set', 'c3a3', 'new', '--hex').status).toBe(0)
    expect(lines(dbdb(file, 'scan', '--hex', '--prefix', 'c3').stdout)).toEqual(['0xc3\tv1', 'ã\tnew'])
    expect(dbdb(file, 'delete', 'ff0080', '--hex').status).toBe(0)
    expect(dbdb(file, 'get', 'ff0080', '--hex').status).toBe(3)
    expectUsage(dbdb(file, 'get', 'xyz', '--hex'), 'KEY is not hex (pairs of digits 0-9, a-f): "xyz"')
  })

  it('dump | load round trip into a fresh file, bytes included', () => {
    fill(data)
    const db = open(file)
    db.set('bytes', Uint8Array.of(0, 1, 2, 255))
    db.commit()
    db.close()
    const dumped = dbdb(file, 'dump')
    expect(dumped.stdout).toContain('{"key":"bytes","base64":"AAEC/w=="}')
    const fresh = join(dir, 'fresh.db')
    const loaded = dbdbWith({ input: dumped.stdout }, fresh, 'load')
    expect(loaded.status, loaded.stderr).toBe(0)
    expect(loaded.stderr).toBe('')
    expect(loaded.stdout).toBe(`loaded ${Object.keys(data).length + 1} keys into ${fresh}\n`)
    expect(dbdb(fresh, 'dump').stdout).toBe(dumped.stdout)
    const copy = open(fresh, { readOnly: true })
    expect(Buffer.from(copy.get('bytes')).equals(Buffer.from([0, 1, 2, 255]))).toBe(true)
    expect(copy.get('object')).toEqual(data.object)
    copy.close()
  })

  it('load reads a file, or stdin with -, and tolerates blank lines, CRLF and a BOM', () => {
    const input = join(dir, 'in.jsonl')
    writeFileSync(input, '\uFEFF{"key":"a","value":1}\r\n\n   \n{"key":"b","value":"two"}\r\n{"key":"a","value":3}')
    const r = dbdb(file, 'load', input)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(`loaded 3 keys into ${file}\n`)
    expect(lines(dbdb(file, 'scan').stdout)).toEqual(['a\t3', 'b\ttwo'])
    const other = join(dir, 'other.db')
    expect(dbdbWith({ input: '{"key":"x","value":[1]}\n' }, other, 'load', '-').status).toBe(0)
    expect(dbdb(other, 'get', 'x').stdout).toBe('[1]\n')
  })

  it('a malformed line exits 1 naming it; its batch is rolled back, earlier batches stay', () => {
    const good = (i: number) => `{"key":"k${i}","value":${i}}`
    const input = [good(1), good(2), good(3), good(4), '{"key":"k5","value":', good(6)].join('\n')
    const r = dbdbWith({ input }, file, 'load', '--batch', '2')
    expectOneLine(r, 1, 'line 5 of stdin: not valid JSON')
    expect(r.stderr).toContain('4 keys before line 5 were committed')
    expect(r.stdout).toBe('')
    expect(lines(dbdb(file, 'scan', '--keys-only').stdout)).toEqual(['k1', 'k2', 'k3', 'k4'])

    // Line 4 is in the batch of lines 3-4: lines 1-2 stay, line 3 goes, resume from line 3.
    const other = join(dir, 'other.db')
    const r2 = dbdbWith({ input: [good(1), good(2), good(3), '[1,2]', good(5)].join('\n') }, other, 'load', '--batch', '2')
    expectOneLine(r2, 1, 'line 4 of stdin: expected an object')
    expect(r2.stderr).toContain('2 keys before line 3 were committed, nothing from line 3 on (resume: tail -n +3)')
    expect(lines(dbdb(other, 'scan', '--keys-only').stdout)).toEqual(['k1', 'k2'])
  })

  it('a malformed line in the first batch loads nothing', () => {
    const bad = [
      ['{"value":1}', 'a line has "key" or "keyHex": exactly one of them'],
      ['{"key":"a","keyHex":"61","value":1}', 'a line has "key" or "keyHex": exactly one of them'],
      ['{"key":1,"value":1}', '"key" must be a string'],
      ['{"keyHex":"6","value":1}', '"keyHex" must be hex digits'],
      ['{"keyHex":61,"value":1}', '"keyHex" must be hex digits'],
      ['{"key":"\\ud800x","value":1}', '"key" is not well-formed Unicode'],
      ['{"key":"a"}', 'exactly one of them'],
      ['{"key":"a","value":1,"base64":"AA=="}', 'exactly one of them'],
      ['{"key":"a","value":1,"extra":true}', 'unexpected field "extra"'],
      ['{"key":"a","base64":"not base64!"}', '"base64" must be a base64 string'],
      ['null', 'expected an object'],
      [`{"key":"${'k'.repeat(5000)}","value":1}`, 'keys are at most 4096 bytes'],
    ]
    for (const [line, why] of bad) {
      const target = join(dir, `bad-${Math.random().toString(36).slice(2)}.db`)
      const r = dbdbWith({ input: `{"key":"first","value":0}\n${line}\n` }, target, 'load')
      expectOneLine(r, 1, 'line 2 of stdin')
      expect(r.stderr).toContain(why)
      expect(r.stderr).toContain('nothing was loaded')
      expect(dbdb(target, 'scan').stdout).toBe('')
    }
  })

  it('load of a missing input file exits 1 with one line', () => {
    expectOneLine(dbdb(file, 'load', join(dir, 'nope.jsonl')), 1, 'cannot read')
    expect(existsSync(file)).toBe(false)
  })

  it('a long load is quiet on stderr when it is not a terminal, and commits in batches', { timeout: 60_000 }, () => {
    const n = 25_000
    const input = Array.from(
      { length: n },
      (_, i) => `{"key":"key:${String(i).padStart(6, '0')}","value":{"i":${i},"pad":"${'x'.repeat(40)}"}}`,
    ).join('\n')
    const r = dbdbWith({ input }, file, 'load')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`loaded ${n} keys into ${file}\n`)
    // 10,000 keys a transaction: three commits.
    expect(lines(dbdb(file, 'history').stdout)).toHaveLength(3)
    expect(dbdb(file, 'get', 'key:012345', '--json').stdout).toContain('"i":12345')

    // ... and so is dump, which stops quietly when its reader goes away.
    const head = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${main}" "${file}" dump | head -n 2`], {
      encoding: 'utf8',
    })
    expect(head.status, head.stderr).toBe(0)
    expect(head.stderr).toBe('')
    expect(lines(head.stdout)).toHaveLength(2)
    const full = dbdb(file, 'dump')
    expect(full.stderr).toBe('')
    expect(lines(full.stdout)).toHaveLength(n)
  })
})

describe('history', () => {
  it('lists commits newest first: txid, ISO time, keys', () => {
    const before = Date.now()
    dbdb(file, 'set', 'a', '1')
    dbdb(file, 'set', 'b', '2')
    dbdb(file, 'delete', 'a')
    dbdb(file, 'set', 'c', '3')
    const r = dbdb(file, 'history')
    expect(r.status).toBe(0)
    const rows = lines(r.stdout).map((l) => l.split(/\s{2,}/))
    expect(rows.map((row) => row[0])).toEqual(['4', '3', '2', '1'])
    expect(rows.map((row) => row[2])).toEqual(['2 keys', '1 keys', '2 keys', '1 keys'])
    for (const row of rows) {
      expect(row[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      expect(Date.parse(row[1]!)).toBeGreaterThanOrEqual(before - 1000)
    }
    expect(lines(dbdb(file, 'history', '--limit', '2').stdout)).toHaveLength(2)
    const json = lines(dbdb(file, 'history', '--json', '--limit', '1').stdout).map((l) => JSON.parse(l))
    expect(json).toEqual([{ txid: 4, time: rows[0]![1], keys: 2 }])
  })

  it('an empty database has no history', () => {
    fill({})
    const r = dbdb(file, 'history')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('')
  })
})

describe('stats', () => {
  it('prints keys, file bytes, live bytes, height, txid, tree and codecs', () => {
    for (let i = 0; i < 3; i++) dbdb(file, 'set', `k${i}`, `v${i}`)
    const json = JSON.parse(dbdb(file, 'stats', '--json').stdout)
    expect(json).toMatchObject({
      file,
      keys: 3,
      txid: 3,
      tree: 'bplus',
      codec: 'msgpack',
      valueCodec: 'msgpack',
      fileBytes: statSync(file).size,
    })
    expect(json.liveBytes).toBeGreaterThan(0)
    expect(json.liveBytes).toBeLessThanOrEqual(json.fileBytes)
    expect(json.height).toBeGreaterThanOrEqual(1)
    const r = dbdb(file, 'stats')
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain(`file        ${file}\n`)
    expect(r.stdout).toContain('txid        3\n')
    expect(r.stdout).toContain('keys        3\n')
    expect(r.stdout).toContain(`file bytes  ${json.fileBytes}\n`)
    expect(r.stdout).toMatch(new RegExp(`live bytes  ${json.liveBytes} \\(\\d+% of the file\\)\n`))
    expect(r.stdout).toContain(`tree        bplus, height ${json.height}\n`)
    expect(r.stdout).toContain('codec       msgpack, values msgpack\n')
  })

  it('reports a file made with other options as it is', () => {
    const db = open(file, { tree: 'binary', codec: 'json' })
    db.set('x', 1)
    db.commit()
    db.close()
    expect(JSON.parse(dbdb(file, 'stats', '--json').stdout)).toMatchObject({ keys: 1, tree: 'binary', codec: 'json', valueCodec: 'json' })
  })
})

describe('compact', () => {
  it('rewrites the file smaller, keeping the data, and prints bytes before and after', () => {
    for (let round = 0; round < 5; round++) fill(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, `round ${round}`])))
    const before = statSync(file).size
    const r = dbdb(file, 'compact')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const m = /^compacted (.+): (\d+) -> (\d+) bytes \((\d+)% smaller\)\n$/.exec(r.stdout)
    expect(m, r.stdout).not.toBeNull()
    expect(m![1]).toBe(file)
    expect(Number(m![2])).toBe(before)
    expect(Number(m![3])).toBe(statSync(file).size)
    expect(Number(m![3])).toBeLessThan(before)
    expect(Number(m![4])).toBe(Math.round((1 - Number(m![3]) / before) * 100))
    expect(dbdb(file, 'get', 'k7').stdout).toBe('round 4\n')
    expect(lines(dbdb(file, 'history').stdout)).toHaveLength(1)
    expect(dbdb(file, 'check').status).toBe(0)
  })

  it('--keep N keeps the newest N commits', () => {
    for (let i = 0; i < 5; i++) fill({ [`k${i}`]: i })
    expect(dbdb(file, 'compact', '--keep', '3').status).toBe(0)
    expect(lines(dbdb(file, 'history').stdout).map((l) => l.split(/\s+/)[0])).toEqual(['5', '4', '3'])
    expect(lines(dbdb(file, 'scan', '--keys-only').stdout)).toHaveLength(5)
  })
})

describe('backup', () => {
  it('writes a copy that opens like the original, and says what it wrote', () => {
    fill({ a: '1', b: { two: 2 } })
    const dest = join(dir, 'copy.db')
    const r = dbdb(file, 'backup', dest)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(`backed up ${file} at txid 1 to ${dest}: ${statSync(dest).size} bytes\n`)
    expect(dbdb(dest, 'dump').stdout).toBe(dbdb(file, 'dump').stdout)
    expect(dbdb(dest, 'check').status).toBe(0)
  })

  it('refuses an existing DEST (exit 4, one line) unless --force, which replaces it', () => {
    fill({ a: '1' })
    const dest = join(dir, 'copy.db')
    writeFileSync(dest, 'precious')
    expectOneLine(dbdb(file, 'backup', dest), 4, 'exists; pass --force')
    expect(readFileSync(dest, 'utf8')).toBe('precious')
    const r = dbdb(file, 'backup', dest, '--force')
    expect(r.status, r.stderr).toBe(0)
    expect(dbdb(dest, 'get', 'a').stdout).toBe('1\n')
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('refuses a directory, and the database itself even with --force', () => {
    fill({ a: '1' })
    mkdirSync(join(dir, 'sub'))
    expectOneLine(dbdb(file, 'backup', join(dir, 'sub')), 4, 'is a directory')
    expectOneLine(dbdb(file, 'backup', file, '--force'), 4, 'is the database itself')
    expect(dbdb(file, 'get', 'a').stdout).toBe('1\n')
  })
})

describe('check', () => {
  it('reports a sound file and exits 0', () => {
    for (let i = 0; i < 5; i++) dbdb(file, 'set', `k${i}`, `v${i}`)
    const r = dbdb(file, 'check')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('commit   txid 5, 5 keys')
    expect(r.stdout).toContain('history  5 transactions intact')
    expect(r.stdout).toContain('result   ok')
    const json = JSON.parse(dbdb(file, 'check', '--json').stdout)
    expect(json).toMatchObject({ ok: true, txid: 5, keys: 5, problems: [] })
  })

  it('reports a sound file written with other B+ orders sound, and exits 0', () => {
    const db = open(file, { tree: createBPlusTree({ order: 16, branchOrder: 8 }), durability: 'none' })
    db.transaction(() => {
      for (let i = 0; i < 3000; i++) db.set(`k${(i * 7919) % 3000}`, i)
    })
    db.close()
    const r = dbdb(file, 'check')
    expect(r.status, r.stdout).toBe(0)
    expect(r.stdout).toContain('commit   txid 1, 3000 keys')
    expect(r.stdout).toContain('result   ok')
  })

  it('finds a flipped bit in an old record and in the newest root, and exits 5', () => {
    for (let i = 0; i < 5; i++) dbdb(file, 'set', `k${i}`, `v${i}`)
    const clean = readFileSync(file)
    const old = Buffer.from(clean)
    flip(old, 8192 + 12, 0x04) // inside the first transaction's first record
    writeFileSync(file, old)
    let r = dbdb(file, 'check')
    expect(r.status).toBe(5)
    expect(r.stdout).toContain('damage   transaction 1 (from address 8192) is damaged')
    expect(r.stdout).toContain('result   DAMAGED')
    // Both slots now point at commits whose records are broken: open itself fails.
    const wrecked = Buffer.from(clean)
    for (let at = 8192; at < wrecked.length; at += 7) flip(wrecked, at, 0xff)
    writeFileSync(file, wrecked)
    r = dbdb(file, 'check')
    expect(r.status).toBe(5)
    expect(r.stderr).toContain('DAMAGED')
  })
})

/**
 * 40 commits, each its own (durability fsync), taken as a killed writer left the file
 * (copied before close: no checkpoint), with one bit flipped in the value commit 34
 * wrote. Commit 1 stores 500 keys, commit 34 changes k0250, the others add a key each.
 */
function damagedAtCommit34(): Buffer {
  const live = join(dir, 'live.db')
  const db = open(live)
  db.transaction(() => {
    for (let i = 0; i < 500; i++) db.set(`k${String(i).padStart(4, '0')}`, `value ${i}`)
  })
  for (let txid = 2; txid <= 40; txid++) {
    if (txid === 34) db.set('k0250', 'COMMIT-34-MARKER')
    else db.set(`z${txid}`, txid)
    db.commit()
  }
  const bytes = readFileSync(live)
  db.close()
  const at = bytes.indexOf('COMMIT-34-MARKER')
  expect(at).toBeGreaterThan(0)
  flip(bytes, at + 3, 0x01)
  writeFileSync(file, bytes)
  return bytes
}

describe('damage that intact commits follow', () => {
  it('check exits 5 naming transaction 34 and the commits 35 to 40 after it; the file is unchanged', () => {
    const bytes = damagedAtCommit34()
    const r = dbdb(file, 'check')
    expect(r.status, r.stderr).toBe(5)
    expect(r.stdout).toMatch(/damage {3}transaction 34 \(from address \d+\) is damaged: bytes \d+ to \d+/)
    expect(r.stdout).toContain('(transactions 35 to 40)')
    expect(r.stdout).toContain('commit   txid 40')
    expect(r.stdout).toContain('result   DAMAGED')
    const json = JSON.parse(dbdb(file, 'check', '--json').stdout)
    expect(json.storage.damage).toMatchObject([{ txid: 34, commitsAfter: [35, 36, 37, 38, 39, 40], torn: false }])
    // A write refuses (and cuts nothing off); reads of commit 40 work.
    expectOneLine(dbdb(file, 'set', 'x', '1'), 4, 'transaction 34')
    expect(dbdb(file, 'get', 'z40').stdout).toBe('40\n')
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('salvage copies the readable keys into a new file, lists what it lost, and exits 5', () => {
    const bytes = damagedAtCommit34()
    const dest = join(dir, 'salvaged.db')
    const r = dbdb(file, 'salvage', dest)
    expect(r.status, r.stderr).toBe(5)
    expect(r.stdout).toMatch(/salvaged .* at txid 40 into .*: \d+ keys/)
    expect(r.stdout).toMatch(/lost {5}keys after "k\d{4}" and before "k\d{4}" \(damaged record at \d+\)/)
    expect(r.stdout).toContain('damage   transaction 34')
    expect(dbdb(dest, 'check').status).toBe(0)
    expect(dbdb(dest, 'get', 'z40').stdout).toBe('40\n')
    expect(dbdb(dest, 'get', 'k0000').stdout).toBe('value 0\n')
    expect(dbdb(dest, 'get', 'k0250').status).toBe(3)
    expect(readFileSync(file).equals(bytes)).toBe(true)
    // DEST is never replaced.
    expectOneLine(dbdb(file, 'salvage', dest), 4, 'exists')
  })

  it('salvage of a sound file copies every key and exits 0', () => {
    fill({ a: 1, b: 2 })
    const dest = join(dir, 'copy.db')
    const r = dbdb(file, 'salvage', dest)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain(': 2 keys')
    expect(r.stdout).toContain('result   every key copied')
  })
})

function flip(buf: Buffer, at: number, mask: number): void {
  buf.writeUInt8(buf.readUInt8(at) ^ mask, at)
}
