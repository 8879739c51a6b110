// classic-level 3 (LevelDB) with Buffer keys and values. Durable mode passes
// { sync: true } to every write (LevelDB then fsyncs its log); no-sync mode does not.
// Bulk load and overwrites are one chained batch each; small commits one awaited put
// each; point gets use the synchronous db.getSync (classic-level 3; "can be significantly
// faster than db.get()"); scans read iterators in batches with nextv(1000), the fast
// documented way. Compaction: db.compactRange over every key.

import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { diskUse } from '../fsutil.mjs'

export const api =
  "new ClassicLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' }); chained batch().put()....write({ sync }) for bulk load and overwrites; " +
  'await put(k, v, { sync }) per small commit; getSync; iterator({ gte, limit }).nextv(1000) for scans; compactRange(lowest, highest)'

const BATCH = 1000

async function drain(iterator, visit) {
  try {
    for (;;) {
      const entries = await iterator.nextv(BATCH)
      if (entries.length === 0) return
      for (const [k, v] of entries) visit(k, v)
    }
  } finally {
    await iterator.close()
  }
}

export async function open(dir, target) {
  const db = new ClassicLevel(join(dir, 'store.level'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  const sync = target.durable
  const writeAll = async (keys, values) => {
    const batch = db.batch()
    for (let i = 0; i < keys.length; i++) batch.put(keys[i], values[i])
    await batch.write({ sync })
  }
  return {
    bulkLoad: writeAll,
    commitSmall(key, value) {
      return db.put(key, value, { sync })
    },
    get(key) {
      return db.getSync(key)
    },
    scanAll(visit) {
      return drain(db.iterator(), visit)
    },
    range(start, count, visit) {
      return drain(db.iterator({ gte: start, limit: count }), visit)
    },
    overwriteAll: writeAll,
    async compact() {
      await db.compactRange(Buffer.alloc(0), Buffer.alloc(64, 0xff))
      return undefined
    },
    fileBytes() {
      return diskUse(dir)
    },
    async close() {
      await db.close()
    },
  }
}
