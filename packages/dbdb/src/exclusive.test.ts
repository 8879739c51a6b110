// errorIfExists: creating a database that must not exist yet, atomically, also when
// several processes race to create the same path.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runModule } from '@dbdb/storage/testing'
import { describe, expect, it } from 'vitest'
import { open } from './index.js'
import { code, tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const dist = fileURLToPath(new URL('../dist/bundle/index.js', import.meta.url))

describe('open with errorIfExists', () => {
  it('creates a new file, and refuses an existing one with DBDB_EXISTS, leaving it untouched', () => {
    const file = tempFile(dir)
    const db = open(file, { errorIfExists: true })
    db.set('k', 1)
    db.commit()
    db.close()
    const bytes = readFileSync(file)
    expect(code(() => open(file, { errorIfExists: true }))).toBe('DBDB_EXISTS')
    expect(readFileSync(file).equals(bytes)).toBe(true)
    // Not a database either: still only refused.
    const other = tempFile(dir, 'other.db')
    writeFileSync(other, 'not a database')
    expect(code(() => open(other, { errorIfExists: true }))).toBe('DBDB_EXISTS')
    expect(readFileSync(other, 'utf8')).toBe('not a database')
    // No temporary file left behind by the refused creations.
    expect(readdirSync(dirname(file)).filter((f) => f.endsWith('.creating'))).toEqual([])
    expect(open(file).get('k')).toBe(1)
  })

  it('cannot be combined with readOnly or createIfMissing: false', () => {
    expect(code(() => open(tempFile(dir), { errorIfExists: true, readOnly: true }))).toBe('TypeError')
    expect(code(() => open(tempFile(dir), { errorIfExists: true, createIfMissing: false }))).toBe('TypeError')
    expect(readdirSync(dir())).toEqual([])
  })

  it('of six processes creating the same file at once, exactly one succeeds', async () => {
    for (let round = 0; round < 5; round++) {
      const file = tempFile(dir, `race-${round}.db`)
      const start = Date.now() + 300
      // Each child waits for the same instant, then creates; prints 'created' or the error code.
      const script =
        `import { open } from ${JSON.stringify(dist)}; while (Date.now() < ${start}); ` +
        `try { open(${JSON.stringify(file)}, { errorIfExists: true }).close(); console.log('created') } ` +
        `catch (err) { console.log(err.code ?? err.message) }`
      const outputs = await Promise.all(Array.from({ length: 6 }, () => runModule(script)))
      expect(outputs.sort(), `round ${round}`).toEqual([
        'DBDB_EXISTS',
        'DBDB_EXISTS',
        'DBDB_EXISTS',
        'DBDB_EXISTS',
        'DBDB_EXISTS',
        'created',
      ])
    }
  }, 60_000)
})
