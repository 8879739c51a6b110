// A commit whose write or sync failed is never seen as committed, by anyone. Its
// bytes reach the page cache before its sync fails, so another process can read it
// in that moment (the test plays that process inside the failing call, SimDisk's
// `during`); after its writer cuts it off, every handle that saw it moves back to
// the real head, writes after that head (never past the end of the file), and
// never points a superblock slot at it. Two FileStorage handles on one SimDisk are
// two processes.

import { describe, expect, it } from 'vitest'
import { FileStorage } from './file-storage.js'
import { DATA_START } from './format.js'
import { type Commit, commitRecords, DB, expectAtCommit, expectCode, openDb } from './sim-db.fixture.js'
import type { Head } from './storage.js'
import { SimDisk } from './testing/index.js'

const rec = (text: string): Buffer => Buffer.from(text)
/** Larger than the 16 KiB a small commit reserves: the commit grows the file and so writes reserved zeros. */
const GROWING = Buffer.alloc(20_000, 7)

interface Failed {
  readonly disk: SimDisk
  /** The writer whose commit failed (it holds the lock, and is fenced). */
  readonly w: FileStorage
  /** Commits that succeeded, in txid order. */
  readonly history: Commit[]
  /** What `look` returned inside the failing call. */
  readonly seen: unknown
}

/**
 * Two good commits by W, then a third that grows the file and fails: its sync with
 * EIO, or its write of reserved zeros with ENOSPC (its commit record is written by
 * then). `look` runs inside the failing call, while the failed commit is in the page cache.
 */
function failedCommit(kind: 'EIO' | 'ENOSPC', prepare: (disk: SimDisk, history: Commit[]) => void, look: () => unknown): Failed {
  const disk = new SimDisk()
  const w = openDb(disk)
  const history: Commit[] = []
  w.lock()
  history.push(commitRecords(w, [rec('one')], { index: 0 }))
  history.push(commitRecords(w, [rec('two'), rec('two b')], { index: 1 }))
  w.unlock()
  prepare(disk, history)
  w.lock()
  const root = w.append(GROWING)
  // The commit's calls: its write, the reserved zeros, the sync.
  let seen: unknown
  disk.failAt(disk.calls + (kind === 'ENOSPC' ? 2 : 3), kind, () => {
    seen = look()
  })
  expectCode(() => w.commit(root), 'DBDB_IO')
  return { disk, w, history, seen }
}

function expectReopensAt(disk: SimDisk, history: readonly Commit[]): void {
  const txid = history.length
  for (const d of [disk, disk.powerLoss(txid, 'drop')]) {
    const s = openDb(d)
    expectAtCommit(s, history, txid)
    const report = s.verify()
    expect(report.problems).toEqual([])
    expect(report.slots.every((slot) => slot.ok)).toBe(true)
    s.close()
  }
}

for (const kind of ['EIO', 'ENOSPC'] as const) {
  describe(`another handle reads a commit that then fails (${kind})`, () => {
    it('a read-write handle moves back to the real head, and its next commits survive a reopen and a power loss', () => {
      let r!: FileStorage
      const { disk, w, history, seen } = failedCommit(
        kind,
        (disk) => {
          r = openDb(disk)
        },
        () => r.head(),
      )
      expect((seen as Head).txid).toBe(3) // it did see the commit in flight
      w.unlock()
      expect(r.head()).toEqual(history[1]!.head)
      expect(r.lock()).toEqual(history[1]!.head)
      for (let i = 0; i < 3; i++) history.push(commitRecords(r, [rec(`r ${i}`)], { index: 0 }))
      r.unlock()
      expect(history.map((c) => c.head.txid)).toEqual([1, 2, 3, 4, 5])
      expectReopensAt(disk, history)
      // Closing cleanly checkpoints: the slot points at r's commits, not at the failed one.
      r.close()
      w.close()
      expectReopensAt(disk, history)
    })

    it('a read-only handle moves back, then sees every later commit; a backup from it opens', () => {
      let ro!: FileStorage
      let r!: FileStorage
      const { disk, w, history, seen } = failedCommit(
        kind,
        (disk) => {
          ro = openDb(disk, { readOnly: true })
          r = openDb(disk)
        },
        () => ro.head(),
      )
      expect((seen as Head).txid).toBe(3)
      w.unlock()
      expect(ro.head()).toEqual(history[1]!.head)
      r.lock()
      for (let i = 0; i < 40; i++) {
        history.push(commitRecords(r, [rec(`r ${i}`.repeat(i))], { index: 0 }))
        expect(ro.head()).toEqual(history.at(-1)!.head)
      }
      r.unlock()
      expect(ro.backup('/db/backup.db')).toEqual(history.at(-1)!.head)
      const copy = FileStorage.open('/db/backup.db', { io: disk, readOnly: true })
      expectAtCommit(copy, history, history.length)
      expect(copy.verify().problems).toEqual([])
      copy.close()
      for (const s of [ro, r, w]) s.close()
      expectReopensAt(disk, history)
    })

    it('a backup taken while the commit is in flight does not hold it', () => {
      let ro!: FileStorage
      const { disk, w, history, seen } = failedCommit(
        kind,
        (disk) => {
          ro = openDb(disk, { readOnly: true })
        },
        () => ro.backup('/db/during.db'),
      )
      expect(seen).toEqual(history[1]!.head)
      w.close()
      const copy = FileStorage.open('/db/during.db', { io: disk, readOnly: true })
      expectAtCommit(copy, history, 2)
      copy.close()
      ro.close()
    })

    it('a handle that committed earlier and then only read never points a slot at the failed commit (sync, close)', () => {
      for (const syncInWindow of [false, true]) {
        let r!: FileStorage
        const { disk, w, history } = failedCommit(
          kind,
          (disk, history) => {
            r = openDb(disk)
            r.lock()
            history.push(commitRecords(r, [rec('by r, before')], { index: 0 }))
            r.unlock()
          },
          () => {
            expect(r.head().txid).toBe(4)
            if (syncInWindow) r.sync()
          },
        )
        w.close()
        r.close()
        expectReopensAt(disk, history)
      }
    })
  })
}

describe('a writer whose head vanished never writes past the end of the file', () => {
  it('reserved zeros or another commit at its old head end do not fool the refresh', () => {
    // The reader's head is the failed commit; after the failure, a third handle's
    // small commit ends before that head's end, so reserved zeros lie there.
    let r!: FileStorage
    let x!: FileStorage
    const { disk, w, history } = failedCommit(
      'EIO',
      (disk) => {
        r = openDb(disk)
        x = openDb(disk)
      },
      () => r.head(),
    )
    w.close()
    x.lock()
    history.push(commitRecords(x, [rec('x')], { index: 0 }))
    x.unlock()
    // r takes the lock with the failed commit as its head, and commits.
    expect(r.lock()).toEqual(history[2]!.head)
    history.push(commitRecords(r, [rec('r')], { index: 0 }))
    r.unlock()
    expect(history[3]!.head.address).toBeLessThan(disk.readFile(DB).length)
    r.close()
    x.close()
    expectReopensAt(disk, history)
  })
})

describe("durability 'none': a failed sync fences the handle", () => {
  /** Commits of 1 MiB each until one of them syncs (every 16 MiB): returns that commit's sync call number. */
  function periodicSyncCall(): number {
    const disk = new SimDisk()
    const s = openDb(disk, { durability: 'none' })
    s.lock()
    for (let i = 0; ; i++) {
      const before = disk.calls
      commitRecords(s, [Buffer.alloc(1024 * 1024, i)], { index: 0 })
      // Its write, then the sync (and the checkpoint after it).
      if (disk.calls - before > 1) return before + 2
    }
  }

  it('a periodic sync that fails fails its commit with DBDB_IO; sync(), commit() and close() never report success or checkpoint past it', () => {
    const call = periodicSyncCall()
    const disk = new SimDisk()
    const s = openDb(disk, { durability: 'none' })
    s.lock()
    const history: Commit[] = []
    disk.failAt(call, 'EIO')
    let error: unknown
    for (let i = 0; error === undefined; i++) {
      try {
        history.push(commitRecords(s, [Buffer.alloc(1024 * 1024, i)], { index: 0 }))
      } catch (err) {
        error = err
      }
    }
    expect(error).toMatchObject({ code: 'DBDB_IO' })
    expectCode(() => s.append(rec('x')), 'DBDB_IO')
    expectCode(() => s.commit(0), 'DBDB_IO')
    expectCode(() => s.sync(), 'DBDB_IO')
    s.close()
    // No slot points at any of these commits: the only sync that was to cover them failed.
    const again = openDb(disk.powerLoss(1, 'drop'))
    expectAtCommit(again, history, again.head().txid)
    const report = again.verify()
    expect(report.problems).toEqual([])
    expect(report.slots.map((slot) => slot.txid)).toEqual([0, 0])
    again.close()
    // Without a power loss the page cache still holds the commits that returned.
    const after = openDb(disk)
    expectAtCommit(after, history, history.length)
    after.close()
  })

  it('a sync at close that fails is DBDB_IO, and leaves the slots where they were', () => {
    const disk = new SimDisk()
    const s = openDb(disk, { durability: 'none' })
    s.lock()
    const history = [commitRecords(s, [rec('synced')], { index: 0 })]
    s.sync()
    history.push(commitRecords(s, [rec('not synced')], { index: 0 }))
    const slots = disk.readFile(DB).subarray(0, DATA_START)
    disk.failAt(disk.calls + 1, 'EIO') // close's fdatasync
    expectCode(() => s.close(), 'DBDB_IO')
    expect(s.closed).toBe(true)
    expect(disk.readFile(DB).subarray(0, DATA_START).equals(slots)).toBe(true)
    const again = openDb(disk.powerLoss(1, 'drop'))
    expectAtCommit(again, history, 1)
    again.close()
  })

  it('sync() that fails is DBDB_IO; the handle refuses to write or sync again', () => {
    const disk = new SimDisk()
    const s = openDb(disk, { durability: 'none' })
    s.lock()
    commitRecords(s, [rec('a')], { index: 0 })
    disk.failAt(disk.calls + 1, 'EIO')
    expectCode(() => s.sync(), 'DBDB_IO')
    expectCode(() => s.sync(), 'DBDB_IO')
    expectCode(() => s.append(rec('b')), 'DBDB_IO')
    s.close()
  })
})

describe('a write that makes no progress', () => {
  it('pwrite returning 0 fails the commit with DBDB_IO instead of retrying forever', () => {
    const disk = new SimDisk()
    const s = openDb(disk)
    s.lock()
    const history = [commitRecords(s, [rec('a')], { index: 0 })]
    const root = s.append(rec('b'))
    disk.failAt(disk.calls + 1, 'zero')
    expectCode(() => s.commit(root), 'DBDB_IO')
    expectCode(() => s.append(rec('c')), 'DBDB_IO')
    s.close()
    expectReopensAt(disk, history)
  })
})
