// Files crafted or damaged to hurt: opening and reading them must fail with a
// coded DbdbError (or read some intact commit), never crash, hang, run anything
// the file names, or return data that was never written.
import { readFileSync, writeFileSync } from 'node:fs'
import { prng, randomInt, testSeed } from '@dbdb/logical/testing'
import { FileStorage } from '@dbdb/storage'
import { describe, expect, it } from 'vitest'
import { type Database, isDbdbError, open } from './index.js'
import { tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const ALLOWED = new Set(['DBDB_CORRUPT', 'DBDB_NOT_A_DATABASE', 'DBDB_VERSION', 'DBDB_MISMATCH'])

/** Everything a reader can do with a handle. Returns the entries it read, or the error code. */
function readEverything(file: string): { code: string } | { entries: Array<[string, unknown]> } {
  let db: Database<string, unknown> | undefined
  try {
    db = open(file, { readOnly: true, cacheBytes: 1 << 16 })
    const entries = [...db.entries()]
    void db.size
    for (const [k] of entries.slice(0, 20)) db.get(k)
    db.get('missing-key')
    for (const c of db.history().slice(0, 5)) db.at(c.txid).close()
    return { entries }
  } catch (err) {
    if (isDbdbError(err) && ALLOWED.has(err.code)) return { code: err.code }
    throw err
  } finally {
    db?.close()
  }
}

for (const tree of ['bplus', 'binary'] as const) {
  for (const codec of ['msgpack', 'json'] as const) {
    describe(`hostile files: ${tree}/${codec}`, () => {
      it('mutated databases fail with coded errors or read only values that were written', () => {
        const seed = testSeed(`hostile ${tree}/${codec}`)
        const rand = prng(seed)
        const file = tempFile(dir)
        const written = new Map<string, unknown>()
        const db = open(file, { tree, codec, durability: 'none' })
        for (let c = 0; c < 4; c++) {
          for (let i = 0; i < 150; i++) {
            const k = `key${randomInt(rand, 400)}`
            const v = { c, i, pad: 'x'.repeat(randomInt(rand, 40)) }
            db.set(k, v)
            written.set(`${k}@${JSON.stringify(v)}`, true)
          }
          db.commit()
        }
        db.close()
        const original = readFileSync(file)
        const outcomes = new Map<string, number>()
        for (let trial = 0; trial < 300; trial++) {
          const bytes = Buffer.from(original)
          const kind = randomInt(rand, 4)
          const at = 8192 + randomInt(rand, bytes.length - 8192)
          if (kind === 0) bytes[at]! ^= 1 << randomInt(rand, 8)
          else if (kind === 1) for (let j = 0; j < 16 && at + j < bytes.length; j++) bytes[at + j] = randomInt(rand, 256)
          else if (kind === 2) bytes.writeUInt32LE(0xffff_fff0, Math.min(at, bytes.length - 4))
          else bytes[randomInt(rand, 8192)]! ^= 0xff
          writeFileSync(file, bytes)
          const result = readEverything(file)
          const label = 'code' in result ? result.code : 'read'
          outcomes.set(label, (outcomes.get(label) ?? 0) + 1)
          if ('entries' in result) {
            for (const [k, v] of result.entries) {
              expect(written.has(`${k}@${JSON.stringify(v)}`), `seed ${seed} trial ${trial}: ${k} read as ${JSON.stringify(v)}`).toBe(true)
            }
          }
        }
        console.log(`[hostile] ${tree}/${codec}: ${JSON.stringify(Object.fromEntries(outcomes))}`)
      }, 60_000)
    })
  }
}

describe('crafted records with valid checksums', () => {
  const nested = Buffer.alloc(100_000, 0x91) // [[[[...]]]] a hundred thousand deep
  const cases: Array<[string, Uint8Array]> = [
    ['an array claiming 4 billion items', Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff, 0x00)],
    ['a string claiming 4 GiB', Uint8Array.of(0xdb, 0xff, 0xff, 0xff, 0xff, 0x61)],
    ['a hundred thousand nested arrays', Buffer.concat([nested, Uint8Array.of(0xc0)])],
    ['an Error extension', Uint8Array.of(0xd4, 0x65, 0x00)],
    ['a record definition extension', Uint8Array.of(0xd4, 0x72, 0x40)],
    ['a RegExp extension', Uint8Array.of(0xc7, 0x03, 0x78, 0x92, 0xa1, 0x61)],
    ['trailing garbage', Uint8Array.of(0x90, 0x90)],
    ['JSON-ish text', Buffer.from('{"__proto__": {"polluted": true}}')],
  ]
  for (const [what, payload] of cases) {
    it(`a root record holding ${what} is DBDB_CORRUPT`, () => {
      const file = tempFile(dir)
      open(file).close()
      const storage = FileStorage.open(file)
      storage.lock()
      storage.commit(storage.append(payload))
      storage.close()
      const result = readEverything(file)
      expect('code' in result ? result.code : 'read').toBe('DBDB_CORRUPT')
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })
  }
})
