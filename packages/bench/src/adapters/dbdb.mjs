// DBDB through its public API only: open(path, { tree, codec, durability }) from @dbdb/dbdb.
// Keys are passed as bytes (keyEncoding 'binary'): the same 16 bytes every peer gets, no
// string conversion. Values are 100-byte Buffers stored as is (valueCodec 'raw'), as
// the peers store raw bytes too; the node codec (msgpack/json) encodes the tree nodes.

import { join } from 'node:path'
import { open as openDbdb } from '@dbdb/dbdb'
import { diskUse } from '../fsutil.mjs'

export const api =
  "open(path, { tree, codec, durability, keyEncoding: 'binary', valueCodec: 'raw' }); bulk load and overwrites in db.transaction(fn); " +
  'small commits: db.set + db.commit(); db.get; db.entries() and db.entries({ gte, limit }); db.compact() when it exists'

export async function open(dir, target) {
  const path = join(dir, 'store.dbdb')
  const db = openDbdb(path, { ...target.options, keyEncoding: 'binary', valueCodec: 'raw' })
  return {
    bulkLoad(keys, values) {
      db.transaction(() => {
        for (let i = 0; i < keys.length; i++) db.set(keys[i], values[i])
      })
    },
    commitSmall(key, value) {
      db.set(key, value)
      db.commit()
    },
    get(key) {
      return db.get(key)
    },
    scanAll(visit) {
      for (const [k, v] of db.entries()) visit(k, v)
    },
    range(start, count, visit) {
      for (const [k, v] of db.entries({ gte: start, limit: count })) visit(k, v)
    },
    overwriteAll(keys, values) {
      db.transaction(() => {
        for (let i = 0; i < keys.length; i++) db.set(keys[i], values[i])
      })
    },
    compact() {
      if (typeof db.compact !== 'function') return { na: 'db.compact() does not exist in @dbdb/dbdb yet' }
      db.compact()
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
