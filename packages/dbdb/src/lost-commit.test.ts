// A handle that read another handle's commit in the moment before that commit's
// sync failed moves back to the real head: its view, and its node cache, which
// holds nodes of the lost commit at addresses that later transactions reuse.
// Handles on one SimDisk play separate processes (each its own cache).

import { FileStorage, type Head } from '@dbdb/storage'
import { SimDisk } from '@dbdb/storage/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { Database } from './database.js'
import { code, composeDatabase } from './test-helpers.fixture.js'

const DB = '/db/lost.db'
const KEYS = 300
const handles: Array<{ close(): void }> = []

afterEach(() => {
  for (const h of handles.splice(0)) {
    try {
      h.close()
    } catch {
      // a fenced handle may fail to close; the test has said what it had to
    }
  }
})

function storageOn(disk: SimDisk, readOnly = false): FileStorage {
  const s = FileStorage.open(DB, { io: disk, lockTimeoutMs: 0, readOnly })
  handles.push(s)
  return s
}

/** A database handle on `disk`, composed as open() would. */
function handle(disk: SimDisk, readOnly = false): Database<string> {
  const db = composeDatabase(DB, { io: disk, lockTimeoutMs: 0, readOnly })
  handles.push(db)
  return db
}

const nextTask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const valuesOf = (db: Database<string>): Set<unknown> => new Set(db.values())
const fill = (db: Database<string>, letter: string): void => {
  for (let i = 0; i < KEYS; i++) db.set(`k${String(i).padStart(3, '0')}`, letter.repeat(20))
}

/**
 * W commits KEYS keys set to 'a', then sets them all to 'w' and commits, and that
 * commit fails after its commit record is written (its sync, or the reserved zeros
 * before it). `during` runs meanwhile. Returns W's lost head as a reader saw it.
 */
async function failingCommit(disk: SimDisk, w: Database<string>, during: () => void): Promise<Head> {
  const peek = storageOn(disk, true)
  w.transaction(() => fill(w, 'a'))
  await nextTask()
  fill(w, 'w')
  let lost: Head | undefined
  // The commit's write, then its sync (or its reserved zeros, then its sync).
  disk.failAt(disk.calls + 2, 'EIO', () => {
    lost = peek.head()
    during()
  })
  expect(code(() => w.commit())).toBe('DBDB_IO')
  expect(lost?.txid).toBe(2)
  return lost!
}

describe('a head that moves back', () => {
  it('a reader drops the lost commit and its cached nodes, even when a new commit reuses its addresses, txid and root', async () => {
    const disk = new SimDisk()
    const w = handle(disk)
    const r = handle(disk, true)
    const x = handle(disk)
    const seen: Array<Set<unknown>> = []
    const lost = await failingCommit(disk, w, () => seen.push(valuesOf(r)))
    expect(seen).toEqual([new Set(['w'.repeat(20)])]) // r read the lost commit, every node of it
    await nextTask()
    expect(valuesOf(r)).toEqual(new Set(['a'.repeat(20)]))
    // x writes the same shape of transaction: its records land where the lost ones were.
    x.transaction(() => fill(x, 'x'))
    const now = storageOn(disk, true).head()
    expect({ txid: now.txid, root: now.root, address: now.address }).toEqual({ txid: lost.txid, root: lost.root, address: lost.address })
    await nextTask()
    expect(r.txid).toBe(2)
    expect(valuesOf(r)).toEqual(new Set(['x'.repeat(20)]))
    expect(r.get('k007')).toBe('x'.repeat(20))
  })

  it("the same without a task in between: the reader's next look, or a writer's lock, moves it back", async () => {
    const disk = new SimDisk()
    const w = handle(disk)
    const r = handle(disk)
    const x = handle(disk)
    await failingCommit(disk, w, () => expect(r.get('k001')).toBe('w'.repeat(20)))
    // x commits at once, in this task: a commit of this process makes r look again.
    x.transaction(() => fill(x, 'x'))
    expect(valuesOf(r)).toEqual(new Set(['x'.repeat(20)]))
    // r's own write takes the lock and starts from the real head, not the lost one.
    r.set('k001', 'r')
    r.commit()
    const fresh = handle(disk, true)
    expect(fresh.get('k001')).toBe('r')
    expect(fresh.get('k002')).toBe('x'.repeat(20))
    expect(fresh.size).toBe(KEYS)
    expect(fresh.check().ok).toBe(true)
  })

  it('a writer that only saw the lost commit writes on top of the real head', async () => {
    const disk = new SimDisk()
    const w = handle(disk)
    const r = handle(disk)
    await failingCommit(disk, w, () => expect(r.get('k001')).toBe('w'.repeat(20)))
    // Same task: r's view is still the lost commit when its write takes the lock.
    r.set('k001', 'r')
    expect(r.commit()?.txid).toBe(2)
    expect(r.get('k002')).toBe('a'.repeat(20))
    for (let i = 0; i < 3; i++) {
      r.set(`r${i}`, i)
      r.commit()
    }
    w.close()
    r.close()
    const fresh = handle(disk, true)
    expect(fresh.txid).toBe(5)
    expect(fresh.get('k001')).toBe('r')
    expect(fresh.get('k002')).toBe('a'.repeat(20))
    expect([fresh.get('r0'), fresh.get('r1'), fresh.get('r2')]).toEqual([0, 1, 2])
    expect(fresh.history().map((h) => h.txid)).toEqual([5, 4, 3, 2, 1])
    expect(fresh.check().ok).toBe(true)
  })
})

describe('a snapshot of a lost commit', () => {
  it('refuses to read once the loss is found, instead of reading other records at its addresses', async () => {
    const disk = new SimDisk()
    const w = handle(disk)
    const r = handle(disk, true)
    const x = handle(disk)
    let snap: ReturnType<Database<string>['snapshot']> | undefined
    let older: ReturnType<Database<string>['snapshot']> | undefined
    await failingCommit(disk, w, () => {
      older = r.at(1)
      snap = r.snapshot()
      expect(snap.get('k001')).toBe('w'.repeat(20))
    })
    x.transaction(() => fill(x, 'x'))
    await nextTask()
    expect(code(() => snap!.get('k001'))).toBe('DBDB_NO_SUCH_COMMIT')
    expect(code(() => [...snap!.values()])).toBe('DBDB_NO_SUCH_COMMIT')
    expect(valuesOf(r)).toEqual(new Set(['x'.repeat(20)]))
    // A snapshot of a commit that stays keeps reading.
    expect(valuesOf(older as unknown as Database<string>)).toEqual(new Set(['a'.repeat(20)]))
    expect(r.snapshot().get('k001')).toBe('x'.repeat(20))
    snap!.close()
  })
})
