// DbdbLevel beyond abstract-level's suite: the README's drop-in program gives the
// same output on classic-level and on DBDB, DBDB's options reach open(), and the
// differences from LevelDB that the README states hold.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { open } from '@dbdb/dbdb'
import { runModule } from '@dbdb/storage/testing'
import type { AbstractLevel } from 'abstract-level'
import { ClassicLevel } from 'classic-level'
import { afterEach, describe, expect, it } from 'vitest'
import { DbdbLevel } from './index.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})
const temp = (name: string): string => {
  dir ??= mkdtempSync(join(tmpdir(), 'dbdb-level-test-'))
  return join(dir, name)
}

const codeOf = async (promise: Promise<unknown>): Promise<{ code?: string; cause?: { code?: string } }> => {
  try {
    await promise
  } catch (err) {
    return err as { code?: string; cause?: { code?: string } }
  }
  throw new Error('expected a rejection')
}

/** What a Level program is written against: a constructor of abstract-level databases. */
type LevelClass = new (
  location: string,
  options?: { valueEncoding?: string },
) => AbstractLevel<string | Buffer | Uint8Array, string, { breed: string; age: number }>

/** The README's drop-in program: written for classic-level, it only ever names the class. */
async function dogShelter(Level: LevelClass, location: string): Promise<string[]> {
  const out: string[] = []
  const db = new Level(location, { valueEncoding: 'json' })
  await db.put('dog:rex', { breed: 'collie', age: 3 })
  await db.batch([
    { type: 'put', key: 'dog:fido', value: { breed: 'beagle', age: 5 } },
    { type: 'put', key: 'dog:ace', value: { breed: 'husky', age: 1 } },
    { type: 'put', key: 'cat:tom', value: { breed: 'tabby', age: 2 } },
  ])
  await db.batch().del('cat:tom').put('dog:rex', { breed: 'collie', age: 4 }).write()
  out.push(JSON.stringify(await db.get('dog:rex')))
  for await (const [name, dog] of db.iterator({ gte: 'dog:', lt: 'dog;', reverse: true })) {
    out.push(`${name} ${dog.breed} ${dog.age}`)
  }
  const visits = db.sublevel<string, number>('visits', { valueEncoding: 'json' })
  await visits.put('dog:rex', 2)
  out.push(JSON.stringify(await visits.keys().all()), JSON.stringify(await db.keys({ limit: 2 }).all()))
  out.push(JSON.stringify(await db.getMany(['dog:ace', 'cat:tom'])))
  await db.close()

  const again = new Level(location, { valueEncoding: 'json' })
  out.push(`after reopening: ${(await again.values().all()).length} values`)
  await again.clear({ gte: 'dog:', lt: 'dog:f' })
  out.push(JSON.stringify(await again.keys().all()))
  await again.close()
  return out
}

describe('drop-in for classic-level', () => {
  it('runs the README program with the same output as classic-level', async () => {
    const classic = await dogShelter(ClassicLevel, temp('classic'))
    const dbdb = await dogShelter(DbdbLevel, temp('shelter.db'))
    expect(dbdb).toEqual(classic)
    expect(dbdb).toEqual([
      '{"breed":"collie","age":4}',
      'dog:rex collie 4',
      'dog:fido beagle 5',
      'dog:ace husky 1',
      '["dog:rex"]',
      '["!visits!dog:rex","dog:ace"]',
      '[{"breed":"husky","age":1},null]',
      'after reopening: 4 values',
      '["!visits!dog:rex","dog:fido","dog:rex"]',
    ])
  })

  it('keeps everything in one DBDB file that DBDB itself can read', async () => {
    const file = temp('one.db')
    const db = new DbdbLevel(file)
    await db.put('greeting', 'hello')
    await db.close()
    const raw = open(file, { keyEncoding: 'binary' })
    expect(raw.composition).toEqual({ tree: 'bplus', codec: 'msgpack', valueCodec: 'raw', keyEncoding: 'binary' })
    expect([...raw.entries()].map(([k, v]) => [Buffer.from(k).toString(), Buffer.from(v).toString()])).toEqual([['greeting', 'hello']])
    raw.close()
  })
})

describe('writes are DBDB commits', () => {
  it('commits each put, del and batch once, a batch atomically', async () => {
    const file = temp('commits.db')
    const db = new DbdbLevel(file)
    await db.put('a', '1')
    await db.batch([
      { type: 'put', key: 'b', value: '2' },
      { type: 'put', key: 'c', value: '3' },
      { type: 'del', key: 'a' },
    ])
    await db.batch().put('d', '4').del('b').write()
    await db.del('c')
    await db.close()
    const raw = open(file, { keyEncoding: 'binary' })
    expect(raw.history().map((c) => c.size)).toEqual([1, 2, 2, 1])
    raw.close()
  })

  it('group-commits concurrent writes: fifty puts in one turn share one commit and one sync', async () => {
    const file = temp('group.db')
    const db = new DbdbLevel(file)
    await db.put('first', '0')
    await Promise.all(Array.from({ length: 50 }, (_, i) => db.put(`k${i}`, String(i))))
    await db.close()
    const raw = open(file, { keyEncoding: 'binary' })
    expect(raw.history().map((c) => c.size)).toEqual([51, 1])
    raw.close()
  })

  it('clear() takes its turn: writes called before it are cleared, writes called after it stay', async () => {
    const db = new DbdbLevel(temp('clear-order.db'))
    await db.batch([
      { type: 'put', key: 'a', value: '1' },
      { type: 'put', key: 'b', value: '2' },
    ])
    const before = db.put('c', '3')
    const cleared = db.clear()
    const after = db.put('a', 'again')
    await Promise.all([before, cleared, after])
    expect(await db.iterator().all()).toEqual([['a', 'again']])
    await db.close()
  })

  it('writes nothing of a batch that fails part-way', async () => {
    const db = new DbdbLevel(temp('atomic.db'))
    await db.put('kept', 'yes')
    const err = await codeOf(
      db.batch([
        { type: 'put', key: 'first', value: '1' },
        { type: 'put', key: 'k'.repeat(5000), value: 'too long' },
      ]),
    )
    expect(err.code).toBe('LEVEL_INVALID_KEY')
    expect(await db.keys().all()).toEqual(['kept'])
    await db.close()
  })
})

describe('DBDB options pass through to open()', () => {
  it('tree and codec choose the new file’s composition', async () => {
    const file = temp('binary-json.db')
    const db = new DbdbLevel(file, { tree: 'binary', codec: 'json' })
    await db.put('k', 'v')
    await db.close()
    const raw = open(file, { keyEncoding: 'binary' })
    expect(raw.composition).toEqual({ tree: 'binary', codec: 'json', valueCodec: 'raw', keyEncoding: 'binary' })
    raw.close()
    // The file records them: reopening with contradicting ones fails like open() does.
    const wrong = new DbdbLevel(file, { tree: 'bplus' })
    const err = await codeOf(wrong.open())
    expect(err.code).toBe('LEVEL_DATABASE_NOT_OPEN')
    expect(err.cause?.code).toBe('DBDB_MISMATCH')
  })

  it('durability reaches open(), also as an open() option', async () => {
    const db = new DbdbLevel(temp('durability.db'), { durability: 'none' })
    await db.put('k', 'v')
    await db.close()
    const bad = new DbdbLevel(temp('bad.db'), { durability: 'sometimes' as 'none' })
    expect((await codeOf(bad.open())).cause).toBeInstanceOf(TypeError)
    const late = new DbdbLevel(temp('late.db'))
    await late.close()
    expect((await codeOf(late.open({ durability: 'sometimes' } as object))).cause).toBeInstanceOf(TypeError)
  })

  it('with durability none, a write with sync: true syncs the file (its commit reaches the superblock)', async () => {
    const location = temp('sync.db')
    const db = new DbdbLevel(location, { durability: 'none' })
    const newestSlot = (): { slot: number; head: number } => {
      const reader = open(location, { readOnly: true, keyEncoding: 'binary' })
      try {
        const report = reader.check()
        return { slot: Math.max(...report.storage.slots.map((s) => s.txid ?? -1)), head: report.txid }
      } finally {
        reader.close()
      }
    }
    // abstract-level's option types do not declare `sync` (classic-level's do).
    const sync = { sync: true } as object
    await db.put('a', '1')
    let seen = newestSlot()
    expect(seen.slot).toBeLessThan(seen.head) // not synced: the superblock lags
    await db.put('b', '2', sync)
    seen = newestSlot()
    expect(seen.slot).toBe(seen.head)
    await db.batch([{ type: 'put', key: 'c', value: '3' }])
    await db.batch([{ type: 'del', key: 'a' }], sync)
    seen = newestSlot()
    expect(seen.slot).toBe(seen.head)
    await db.close()
  })

  it('lockTimeoutMs bounds the wait for another writer, which fails with LEVEL_LOCKED', async () => {
    const file = temp('locked.db')
    const db = new DbdbLevel(file, { lockTimeoutMs: 50 })
    await db.open()
    const other = open(file) // another handle, as another process would have
    other.set('x', Buffer.from('holding the writer lock'))
    const err = await codeOf(db.put('k', 'v'))
    expect(err.code).toBe('LEVEL_LOCKED')
    expect(err.cause?.code).toBe('DBDB_LOCKED')
    other.rollback()
    other.close()
    await db.put('k', 'v')
    await db.close()
  })

  it('readOnly refuses writes with LEVEL_READONLY', async () => {
    const file = temp('ro.db')
    const writer = new DbdbLevel(file)
    await writer.put('k', 'v')
    await writer.close()
    const db = new DbdbLevel(file, { readOnly: true })
    expect(await db.get('k')).toBe('v')
    expect((await codeOf(db.put('k', 'w'))).code).toBe('LEVEL_READONLY')
    await db.close()
  })
})

describe('differences from LevelDB the README states', () => {
  it('refuses keys over 4096 bytes; reads and ranges treat them as absent', async () => {
    const db = new DbdbLevel(temp('keys.db'))
    const long = 'k'.repeat(4097)
    await db.put('k'.repeat(4096), 'longest')
    expect((await codeOf(db.put(long, 'v'))).code).toBe('LEVEL_INVALID_KEY')
    expect(await db.get(long)).toBeUndefined()
    expect(await db.has(long)).toBe(false)
    await db.del(long)
    expect(await db.keys({ gt: long }).all()).toEqual([])
    expect(await db.values({ lt: long }).all()).toEqual(['longest'])
    const it = db.values()
    it.seek(long)
    expect(await it.all()).toEqual([])
    await db.close()
  })

  it('location is a file; missing folders are created unless createIfMissing is false', async () => {
    const nested = temp('a/b/c.db')
    expect((await codeOf(new DbdbLevel(nested, { createIfMissing: false }).open())).cause).toMatchObject({
      message: expect.stringMatching(/does not exist/),
    })
    const db = new DbdbLevel(nested)
    await db.put('k', 'v')
    await db.close()
    const notDbdb = temp('plain.txt')
    writeFileSync(notDbdb, 'not a database, and long enough to be sure of that')
    const err = await codeOf(new DbdbLevel(notDbdb).open())
    expect(err.cause?.code).toBe('DBDB_NOT_A_DATABASE')
  })

  it('errorIfExists creates a new location and refuses an existing one, also when processes race to create it', async () => {
    const file = temp('once.db')
    const first = new DbdbLevel(file, { errorIfExists: true })
    await first.put('k', 'v')
    await first.close()
    const again = await codeOf(new DbdbLevel(file, { errorIfExists: true }).open())
    expect(again.code).toBe('LEVEL_DATABASE_NOT_OPEN')
    expect(await new DbdbLevel(file).get('k')).toBe('v')
    // Processes that all pass the existence check before any creates: the creation decides.
    const racy = temp('racy.db')
    const dist = fileURLToPath(new URL('../dist/bundle/index.js', import.meta.url))
    const start = Date.now() + 300
    const script =
      `import { DbdbLevel } from ${JSON.stringify(dist)}; while (Date.now() < ${start}); ` +
      `const db = new DbdbLevel(${JSON.stringify(racy)}, { errorIfExists: true }); ` +
      `db.open().then(() => { console.log('created'); return db.close() }, (err) => console.log(err.cause?.code ?? err.cause?.message))`
    const outputs = await Promise.all(Array.from({ length: 4 }, () => runModule(script)))
    // Those that lost: DBDB_EXISTS if they passed the check before the winner created, else the check's message.
    expect(outputs.filter((o) => o === 'created')).toHaveLength(1)
    for (const o of outputs.filter((o) => o !== 'created')) expect(o).toMatch(/^DBDB_EXISTS$|exists \(errorIfExists is true\)/)
  }, 30_000)

  it('lets two handles (or processes) open one file at once, each seeing the other’s writes', async () => {
    const file = temp('shared.db')
    const a = new DbdbLevel(file)
    const b = new DbdbLevel(file)
    await Promise.all([a.open(), b.open()])
    await a.put('from', 'a')
    expect(await b.get('from')).toBe('a')
    await b.put('from', 'b')
    expect(await a.get('from')).toBe('b')
    await Promise.all([a.close(), b.close()])
  })
})
