// The stores of the "concurrent writers" workload: each opens in a directory and
// offers write(key, value) -> Promise that settles when the store acknowledges the
// write. `durable` says whether that acknowledgement means the write is on disk.
// `family` names the adapter family whose availability decides the store's: a peer
// that is not installed (or does not load) is reported as unavailable.

import { join } from 'node:path'

export const STORES = [
  {
    id: 'dbdb-async',
    family: 'dbdb',
    label: 'DBDB await setAsync',
    durable: true,
    api: "open(file, { keyEncoding: 'binary', valueCodec: 'raw' }); await db.setAsync(k, v): group commit, fdatasync off the main thread",
    async open(dir) {
      const db = await openDbdb(dir)
      return { write: (k, v) => db.setAsync(k, v), close: async () => db.close() }
    },
  },
  {
    id: 'dbdb-sync',
    family: 'dbdb',
    label: 'DBDB set + commit()',
    durable: true,
    api: 'db.set(k, v); db.commit() per write: synchronous, one fdatasync on the main thread each',
    async open(dir) {
      const db = await openDbdb(dir)
      return {
        write(k, v) {
          db.set(k, v)
          db.commit()
          return Promise.resolve()
        },
        close: async () => db.close(),
      }
    },
  },
  {
    id: 'lmdb-put',
    family: 'lmdb',
    label: 'lmdb await put',
    durable: false,
    api: "open({ encoding: 'binary', keyEncoding: 'binary' }) (its defaults); await db.put(k, v): resolves once committed, before the data is flushed to disk",
    async open(dir) {
      const db = await openLmdb(dir)
      return { write: (k, v) => db.put(k, v), close: () => db.close() }
    },
  },
  {
    id: 'lmdb-flushed',
    family: 'lmdb',
    label: 'lmdb put + await flushed',
    durable: true,
    api: "open({ encoding: 'binary', keyEncoding: 'binary' }); db.put(k, v) then await db.flushed: resolves once on disk",
    async open(dir) {
      const db = await openLmdb(dir)
      return {
        async write(k, v) {
          db.put(k, v)
          await db.flushed
        },
        close: () => db.close(),
      }
    },
  },
  {
    id: 'level-sync',
    family: 'level',
    label: 'classic-level put sync',
    durable: true,
    api: "new ClassicLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' }); await db.put(k, v, { sync: true })",
    async open(dir) {
      const db = await openLevel(dir)
      return { write: (k, v) => db.put(k, v, { sync: true }), close: () => db.close() }
    },
  },
  {
    id: 'level-default',
    family: 'level',
    label: 'classic-level put',
    durable: false,
    api: 'await db.put(k, v) (its default, sync: false): resolves once in the OS, before it is on disk',
    async open(dir) {
      const db = await openLevel(dir)
      return { write: (k, v) => db.put(k, v), close: () => db.close() }
    },
  },
  {
    id: 'sqlite-full',
    family: 'sqlite',
    label: 'better-sqlite3 FULL',
    durable: true,
    api: 'journal_mode=WAL, synchronous=FULL, one autocommit INSERT OR REPLACE per write. It has no async API: every write blocks the event loop, so concurrent writers only queue',
    async open(dir) {
      const { default: Database } = await import('better-sqlite3')
      const db = new Database(join(dir, 'store.sqlite'))
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID')
      const put = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)')
      return {
        write(k, v) {
          put.run(k, v)
          return Promise.resolve()
        },
        close: async () => db.close(),
      }
    },
  },
]

async function openDbdb(dir) {
  const { open } = await import('@dbdb/dbdb')
  return open(join(dir, 'store.db'), { keyEncoding: 'binary', valueCodec: 'raw' })
}

async function openLmdb(dir) {
  const { open } = await import('lmdb')
  return open({ path: join(dir, 'store.mdb'), encoding: 'binary', keyEncoding: 'binary' })
}

async function openLevel(dir) {
  const { ClassicLevel } = await import('classic-level')
  const db = new ClassicLevel(join(dir, 'store.level'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  return db
}

export function storeById(id) {
  const s = STORES.find((x) => x.id === id)
  if (s === undefined) throw new Error(`unknown store ${id}; known: ${STORES.map((x) => x.id).join(', ')}`)
  return s
}
