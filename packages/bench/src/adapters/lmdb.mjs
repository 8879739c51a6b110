// lmdb-js 3 with binary keys and values and its synchronous API throughout:
// transactionSync for the bulk load and the overwrites, putSync for each small commit,
// get for point reads, getRange for scans. lmdb-js defaults to overlappingSync on Linux,
// where a commit returns before its data is flushed; durable mode turns it off so that
// putSync/transactionSync return only once the commit is on disk, like the other stores'
// durable modes. No-sync mode is lmdb's noSync: true. Compaction is lmdb's compacting
// copy, db.backup(path, true): the size after is the copy's.

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { open as openLmdb } from 'lmdb'
import { diskUse } from '../fsutil.mjs'

export const api =
  "open({ encoding: 'binary', keyEncoding: 'binary', noSync: !durable, overlappingSync: false }); transactionSync(() => putSync ...) for bulk load and overwrites; " +
  'putSync per small commit; get; getRange() and getRange({ start, limit }); compaction: backup(copyPath, true) (a compacted copy)'

export async function open(dir, target) {
  const db = openLmdb({
    path: join(dir, 'store.mdb'),
    encoding: 'binary',
    keyEncoding: 'binary',
    noSync: !target.durable,
    overlappingSync: false,
  })
  let compactedDir
  return {
    bulkLoad(keys, values) {
      db.transactionSync(() => {
        for (let i = 0; i < keys.length; i++) db.putSync(keys[i], values[i])
      })
    },
    commitSmall(key, value) {
      db.putSync(key, value)
    },
    get(key) {
      return db.get(key)
    },
    scanAll(visit) {
      for (const { key, value } of db.getRange()) visit(key, value)
    },
    range(start, count, visit) {
      for (const { key, value } of db.getRange({ start, limit: count })) visit(key, value)
    },
    overwriteAll(keys, values) {
      db.transactionSync(() => {
        for (let i = 0; i < keys.length; i++) db.putSync(keys[i], values[i])
      })
    },
    async compact() {
      compactedDir = join(dir, '..', 'lmdb-compacted')
      mkdirSync(compactedDir, { recursive: true })
      await db.backup(join(compactedDir, 'store.mdb'), true)
      return undefined
    },
    fileBytes() {
      return diskUse(compactedDir ?? dir)
    },
    async close() {
      await db.close()
    },
  }
}
