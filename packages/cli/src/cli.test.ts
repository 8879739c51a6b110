// The dbdb command through real child processes, as a user runs it.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js')
let dir: string
let file: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dbdb-cli-'))
  file = join(dir, 'tool.db')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function dbdb(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

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
    for (const args of [[], [file], [file, 'get'], [file, 'get', 'a', 'b'], [file, 'set', 'a']]) {
      const r = dbdb(...args)
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr).toContain('Usage: dbdb DBFILE VERB')
      expect(r.stdout).toBe('')
    }
  })

  it('an unknown verb exits 2', () => {
    const r = dbdb(file, 'frobnicate', 'a')
    expect(r.status).toBe(2)
    expect(r.stderr).toContain("unknown verb 'frobnicate'")
  })

  it('an unknown option exits 1', () => {
    expect(dbdb(file, 'get', 'a', '--frob').status).toBe(1)
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
    const r = dbdb(join(dir, 'missing.db'), 'get', 'a')
    expect(r.status).toBe(4)
    expect(r.stderr).toContain('does not exist')
    expect(dbdb(join(dir, 'missing.db'), 'get', 'a').status).toBe(4)
  })

  it('a file that is not a database exits 4 with one line', () => {
    const notes = join(dir, 'notes.txt')
    writeFileSync(notes, 'hello\n'.repeat(2000))
    const r = dbdb(notes, 'get', 'a')
    expect(r.status).toBe(4)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('not a DBDB database')
  })

  it('--json stores and prints JSON; bad JSON exits 1', () => {
    expect(dbdb(file, 'set', 'cfg', '{"a":[1,2]}', '--json').status).toBe(0)
    expect(dbdb(file, 'get', 'cfg').stdout).toBe('{"a":[1,2]}\n')
    expect(dbdb(file, 'set', 'n', '42', '--json').status).toBe(0)
    expect(dbdb(file, 'get', 'n', '--json').stdout).toBe('42\n')
    expect(dbdb(file, 'set', 'bad', '{nope', '--json').status).toBe(1)
    expect(dbdb(file, 'set', 's', 'plain').status).toBe(0)
    expect(dbdb(file, 'get', 's', '--json').stdout).toBe('"plain"\n')
  })

  it('keys and values may look like options after --', () => {
    expect(dbdb(file, 'set', '--', '--weird', '-v').status).toBe(0)
    expect(dbdb(file, 'get', '--', '--weird').stdout).toBe('-v\n')
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

  it('finds a flipped bit in an old record and in the newest root, and exits 5', () => {
    for (let i = 0; i < 5; i++) dbdb(file, 'set', `k${i}`, `v${i}`)
    const clean = readFileSync(file)
    const old = Buffer.from(clean)
    old[8192 + 12] ^= 0x04 // inside the first transaction's first record
    writeFileSync(file, old)
    let r = dbdb(file, 'check')
    expect(r.status).toBe(5)
    expect(r.stdout).toContain('damage   transaction 1 (from address 8192) is damaged')
    expect(r.stdout).toContain('result   DAMAGED')
    // Both slots now point at commits whose records are broken: open itself fails.
    const wrecked = Buffer.from(clean)
    for (let at = 8192; at < wrecked.length; at += 7) wrecked[at] ^= 0xff
    writeFileSync(file, wrecked)
    r = dbdb(file, 'check')
    expect(r.status).toBe(5)
    expect(r.stderr).toContain('DAMAGED')
  })
})
