// better-sqlite3 12 as its users run it for a key/value table: WAL journal, a
// WITHOUT ROWID table keyed by a BLOB primary key, prepared statements, synchronous
// API. Durable mode is synchronous=FULL (fsync of the WAL at every commit); no-sync
// mode is synchronous=OFF (no fsync at all).

import { join } from 'node:path'
import Database from 'better-sqlite3'
import { diskUse } from '../fsutil.mjs'

export const api =
  'journal_mode=WAL, synchronous=FULL (durable) or OFF (no-sync); table kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID; prepared INSERT OR REPLACE, bulk load and overwrites in one db.transaction(); ' +
  'small commits: one autocommit statement each; get: SELECT v ... pluck(); scans: SELECT k, v ... ORDER BY k [LIMIT] .raw().iterate(); compaction: VACUUM + wal_checkpoint(TRUNCATE)'

/** better-sqlite3 loads its native part at the first `new Database`, not at import. */
export function probe() {
  new Database(':memory:').close()
}

export async function open(dir, target) {
  const db = new Database(join(dir, 'store.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${target.durable ? 'FULL' : 'OFF'}`)
  db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID')
  const put = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)')
  const get = db.prepare('SELECT v FROM kv WHERE k = ?').pluck()
  const scan = db.prepare('SELECT k, v FROM kv ORDER BY k').raw()
  const range = db.prepare('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?').raw()
  const putAll = db.transaction((keys, values) => {
    for (let i = 0; i < keys.length; i++) put.run(keys[i], values[i])
  })
  return {
    bulkLoad(keys, values) {
      putAll(keys, values)
    },
    commitSmall(key, value) {
      put.run(key, value)
    },
    get(key) {
      return get.get(key)
    },
    scanAll(visit) {
      for (const row of scan.iterate()) visit(row[0], row[1])
    },
    range(start, count, visit) {
      for (const row of range.iterate(start, count)) visit(row[0], row[1])
    },
    overwriteAll(keys, values) {
      putAll(keys, values)
    },
    compact() {
      db.exec('VACUUM')
      db.pragma('wal_checkpoint(TRUNCATE)')
      return undefined
    },
    fileBytes() {
      return diskUse(dir)
    },
    close() {
      db.close()
    },
  }
}
