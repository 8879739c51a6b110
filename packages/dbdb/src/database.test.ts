import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { type Database, open } from './index.js'
import { code, tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()

describe('the original DBDB integration tests', () => {
  it('creates a new database file', () => {
    const db = open(tempFile(dir, 'new.db'))
    db.set('a', 'aye')
    db.commit()
    db.close()
  })

  it('persists commits and drops what was not committed (into an existing empty file)', () => {
    const file = tempFile(dir, 'existing.db')
    writeFileSync(file, '')
    let db = open(file)
    db.set('b', 'bee')
    db.set('a', 'aye')
    db.set('c', 'see')
    db.commit()
    db.set('d', 'dee')
    expect(db.size).toBe(4)
    db.close()
    db = open(file)
    expect(db.get('a')).toBe('aye')
    expect(db.get('b')).toBe('bee')
    expect(db.get('c')).toBe('see')
    expect(db.get('d')).toBeUndefined()
    expect(db.size).toBe(3)
    db.close()
  })
})

describe('the Map-like handle', () => {
  const fresh = (): Database => open(tempFile(dir))

  it('gets, sets, has, deletes and counts', () => {
    const db = fresh()
    expect(db.get('a')).toBeUndefined()
    expect(db.has('a')).toBe(false)
    expect(db.set('a', { any: 'value' })).toBe(db)
    expect(db.get('a')).toEqual({ any: 'value' })
    expect(db.has('a')).toBe(true)
    expect(db.size).toBe(1)
    expect(db.delete('a')).toBe(true)
    expect(db.delete('a')).toBe(false)
    expect(db.size).toBe(0)
    db.close()
  })

  it('stores every kind of value the codec supports', () => {
    const db = fresh()
    const values: unknown[] = [
      '',
      'text',
      0,
      -1,
      1.5,
      2 ** 53 - 1,
      true,
      false,
      null,
      [],
      [1, [2, [3]]],
      {},
      { nested: { deep: [null, 'x'] } },
      new Date(0),
    ]
    for (const [i, v] of values.entries()) db.set(`k${i}`, v)
    db.commit()
    db.close()
    const again = open(tempFile(dir))
    for (const [i, v] of values.entries()) expect(again.get(`k${i}`)).toEqual(v)
    expect(Uint8Array.from(again.set('bin', Uint8Array.of(1, 2, 3)).get('bin'))).toEqual(Uint8Array.of(1, 2, 3))
    again.close()
  })

  it("captures keys and values at set(); returned values are the caller's", () => {
    const db = fresh()
    const value = { list: [1, 2] }
    db.set('a', value)
    value.list.push(3)
    expect(db.get('a')).toEqual({ list: [1, 2] })
    const got = db.get('a')
    got.list.push(99)
    expect(db.get('a')).toEqual({ list: [1, 2] })
    db.commit()
    db.get('a').list.push(100)
    expect(db.get('a')).toEqual({ list: [1, 2] })
    db.close()
  })

  for (const tree of ['bplus', 'binary'] as const) {
    it(`captures binary keys and raw values at set() (${tree} tree, which ${tree === 'bplus' ? 'copies them itself' : 'keeps what it is given'})`, () => {
      const db = open(tempFile(dir), { tree, keyEncoding: 'binary', valueCodec: 'raw' })
      const key = Uint8Array.of(1, 2, 3)
      const value = Uint8Array.of(4, 5, 6)
      db.set(key, value)
      db.set(Uint8Array.of(9), Uint8Array.of(9)) // an edit after it: nothing moves under the first
      key.fill(0)
      value.fill(0)
      expect(db.get(Uint8Array.of(1, 2, 3))).toEqual(Buffer.of(4, 5, 6))
      expect(db.get(key)).toBeUndefined()
      db.get(Uint8Array.of(1, 2, 3))!.fill(7)
      db.commit()
      expect(db.get(Uint8Array.of(1, 2, 3))).toEqual(Buffer.of(4, 5, 6))
      db.close()
    })
  }

  it('sync() makes the commits of a durability none handle durable (they reach the superblock)', () => {
    const path = tempFile(dir)
    const db = open(path, { durability: 'none' })
    expect(db.durability).toBe('none')
    const newestSlot = (): number => Math.max(...db.check().storage.slots.map((s) => s.txid ?? -1))
    db.set('a', 1)
    db.commit()
    expect(newestSlot()).toBeLessThan(db.txid)
    db.sync()
    expect(newestSlot()).toBe(db.txid)
    const reader = open(path, { readOnly: true })
    expect(reader.durability).toBe('fsync') // the default, a property of the handle
    expect(code(() => reader.sync())).toBe('DBDB_READ_ONLY')
    reader.close()
    db.close()
    expect(code(() => db.sync())).toBe('DBDB_CLOSED')
  })

  it('refuses bad keys and values with TypeError and writes nothing', () => {
    const db = fresh()
    for (const bad of [1, null, undefined, {}, Uint8Array.of(1), '\ud800']) {
      expect(() => db.set(bad as never, 'x')).toThrow(TypeError)
      expect(() => db.get(bad as never)).toThrow(TypeError)
    }
    expect(() => db.set('a', undefined)).toThrow(TypeError)
    expect(() => db.set('a', () => 1)).toThrow(TypeError) // a function cannot be stored (a bigint of any size can)
    expect(() => db.set('x'.repeat(5000), 1)).toThrow(RangeError)
    expect(db.inTransaction).toBe(false)
    db.set('ok', 1)
    expect(() => db.set('bad', Symbol('no') as never)).toThrow(TypeError)
    expect(db.get('ok')).toBe(1)
    expect(db.inTransaction).toBe(true)
    db.commit()
    expect(db.size).toBe(1)
    db.close()
  })

  it('rolls back to the last commit and releases the lock', () => {
    const db = fresh()
    db.set('a', 1)
    db.commit()
    db.set('a', 2)
    db.set('b', 2)
    db.rollback()
    expect(db.get('a')).toBe(1)
    expect(db.has('b')).toBe(false)
    expect(db.inTransaction).toBe(false)
    db.close()
  })

  it('iterates ranges in key order, forwards and backwards, with limits and prefixes', () => {
    const db = fresh()
    for (const k of ['b', 'a', 'ab', 'c', 'abc', 'b\u00e9', 'ba']) db.set(k, k.toUpperCase())
    expect([...db.keys()]).toEqual(['a', 'ab', 'abc', 'b', 'ba', 'b\u00e9', 'c'])
    expect([...db.keys({ reverse: true, limit: 2 })]).toEqual(['c', 'b\u00e9'])
    expect([...db.entries({ gt: 'a', lte: 'b' })]).toEqual([
      ['ab', 'AB'],
      ['abc', 'ABC'],
      ['b', 'B'],
    ])
    expect([...db.values({ gte: 'b', lt: 'c' })]).toEqual(['B', 'BA', 'B\u00c9'])
    expect([...db.keys({ gte: 'ab', lt: 'ab\uffff' })]).toEqual(['ab', 'abc'])
    expect(db.count({ gte: 'b' })).toBe(4)
    expect([...db]).toHaveLength(7)
    expect(() => db.keys({ from: 'a' } as never)).toThrow(TypeError)
    db.close()
  })

  it('an iterator sees the database as it was when it started', () => {
    const db = fresh()
    for (let i = 0; i < 100; i++) db.set(`k${String(i).padStart(3, '0')}`, i)
    db.commit()
    const it = db.keys()
    it.next()
    db.delete('k050')
    db.set('k0505', 1)
    db.commit()
    expect([...it]).toHaveLength(99)
    db.close()
  })

  it('keyEncoding binary takes and returns Uint8Array in unsigned byte order', () => {
    const db = open(tempFile(dir), { keyEncoding: 'binary' })
    db.set(Uint8Array.of(0xff), 'high')
    db.set(Uint8Array.of(0x00), 'low')
    db.set(Uint8Array.of(), 'empty')
    expect([...db.keys()].map((k) => [...k])).toEqual([[], [0], [255]])
    expect(() => db.set('string' as never, 1)).toThrow(TypeError)
    const key = Uint8Array.of(7)
    db.set(key, 'seven')
    key[0] = 8
    expect(db.get(Uint8Array.of(7))).toBe('seven')
    db.close()
  })

  it('is disposable and refuses use after close with DBDB_CLOSED', () => {
    const db = fresh()
    db.set('a', 1)
    db[Symbol.dispose]()
    expect(db.closed).toBe(true)
    expect(code(() => db.get('a'))).toBe('DBDB_CLOSED')
    expect(code(() => db.set('a', 1))).toBe('DBDB_CLOSED')
    const again = fresh()
    expect(again.get('a')).toBeUndefined()
    again.close()
  })
})

describe('transactions', () => {
  it('commits on return and rolls back on throw', () => {
    const db = open(tempFile(dir))
    const result = db.transaction(() => {
      db.set('a', 1)
      return 'done'
    })
    expect(result).toBe('done')
    expect(db.inTransaction).toBe(false)
    expect(() =>
      db.transaction(() => {
        db.set('a', 2)
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(db.get('a')).toBe(1)
    db.close()
    expect(open(tempFile(dir)).get('a')).toBe(1)
  })

  it('nests as savepoints', () => {
    const db = open(tempFile(dir))
    db.transaction(() => {
      db.set('outer', 1)
      expect(() =>
        db.transaction(() => {
          db.set('inner', 1)
          throw new Error('inner fails')
        }),
      ).toThrow('inner fails')
      db.transaction(() => db.set('inner2', 1))
    })
    expect([...db.keys()]).toEqual(['inner2', 'outer'])
    db.close()
  })

  it('refuses async functions and commit() inside, leaving nothing behind', () => {
    const db = open(tempFile(dir))
    expect(code(() => db.transaction(async () => db.set('a', 1)))).toBe('DBDB_TRANSACTION')
    expect(db.has('a')).toBe(false)
    expect(code(() => db.transaction(() => db.commit()))).toBe('DBDB_TRANSACTION')
    expect(db.inTransaction).toBe(false)
    db.close()
  })
})

describe('handles, snapshots and history', () => {
  it('another handle sees only commits', () => {
    const file = tempFile(dir)
    const a = open(file)
    const b = open(file, { readOnly: true })
    a.set('x', 1)
    expect(a.get('x')).toBe(1)
    expect(b.get('x')).toBeUndefined()
    a.commit()
    expect(b.get('x')).toBe(1)
    expect(b.txid).toBe(1)
    a.close()
    b.close()
  })

  it('a snapshot sees one commit for its whole life', () => {
    const db = open(tempFile(dir))
    db.set('a', 1)
    db.commit()
    const snap = db.snapshot()
    db.set('a', 2)
    db.set('b', 2)
    db.commit()
    expect(snap.get('a')).toBe(1)
    expect(snap.has('b')).toBe(false)
    expect(snap.size).toBe(1)
    expect(snap.txid).toBe(1)
    snap.close()
    expect(code(() => snap.get('a'))).toBe('DBDB_CLOSED')
    db.close()
  })

  it('history lists commits newest first and at() opens any of them', () => {
    const db = open(tempFile(dir))
    for (let i = 1; i <= 3; i++) {
      db.set(`k${i}`, i)
      db.commit()
    }
    expect(db.history().map((c) => [c.txid, c.size])).toEqual([
      [3, 3],
      [2, 2],
      [1, 1],
    ])
    const past = db.at(2)
    expect([...past.keys()]).toEqual(['k1', 'k2'])
    expect(db.at(0).size).toBe(0)
    expect(code(() => db.at(9))).toBe('DBDB_NO_SUCH_COMMIT')
    db.close()
    expect(code(() => past.get('k1'))).toBe('DBDB_CLOSED')
  })
})

describe('files remember their tree and codecs', () => {
  it('reopening without options uses what the file records', () => {
    const file = tempFile(dir)
    const db = open(file, { tree: 'binary', codec: 'json' })
    db.set('a', { x: 1 })
    db.commit()
    db.close()
    const again = open(file)
    expect(again.composition).toEqual({ tree: 'binary', codec: 'json', valueCodec: 'json', keyEncoding: 'utf8' })
    expect(again.get('a')).toEqual({ x: 1 })
    again.close()
  })

  it('reopening with different options is DBDB_MISMATCH, and the file is untouched', () => {
    const file = tempFile(dir)
    open(file).close()
    expect(code(() => open(file, { tree: 'binary' }))).toBe('DBDB_MISMATCH')
    expect(code(() => open(file, { codec: 'json' }))).toBe('DBDB_MISMATCH')
    expect(code(() => open(file, { valueCodec: 'raw' }))).toBe('DBDB_MISMATCH')
    expect(open(file, { tree: 'bplus', codec: 'msgpack' }).composition.tree).toBe('bplus')
  })

  it('refuses unknown options and bad values with TypeError', () => {
    expect(() => open(tempFile(dir), { tre: 'binary' } as never)).toThrow(TypeError)
    expect(() => open(tempFile(dir), { tree: 'avl' as never })).toThrow(TypeError)
    expect(() => open(tempFile(dir), { codec: 'raw' as never })).toThrow(TypeError)
    expect(() => open('')).toThrow(TypeError)
  })

  it('readOnly handles reject writes with DBDB_READ_ONLY', () => {
    const file = tempFile(dir)
    open(file).close()
    const db = open(file, { readOnly: true })
    expect(code(() => db.set('a', 1))).toBe('DBDB_READ_ONLY')
    expect(code(() => db.transaction(() => 1))).toBe('DBDB_READ_ONLY')
    db.close()
  })

  it('refuses a file that is not a database and leaves it untouched', () => {
    const file = tempFile(dir, 'notes.txt')
    writeFileSync(file, 'Dear diary, today I stored a key.\n'.repeat(500))
    expect(code(() => open(file))).toBe('DBDB_NOT_A_DATABASE')
  })
})
