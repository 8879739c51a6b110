// The async write path: setAsync / deleteAsync / transactionAsync, group commit,
// ordering, failures, back-pressure and how it meets synchronous transactions.
import * as fs from 'node:fs'
import type { FileIO } from '@dbdb/storage'
import { countingFileIO, SimDisk } from '@dbdb/storage/testing'
import { describe, expect, it } from 'vitest'
import type { Database } from './database.js'
import { open } from './open.js'
import { composeDatabase, tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()

/** A handle over `io` (fault injection, counting), composed as open() would. */
function handle(path: string, io: FileIO, options: { maxQueuedBytes?: number; lockTimeoutMs?: number } = {}): Database<string, any> {
  return composeDatabase(path, { io, meta: { format: 'dbdb', tree: 'bplus', codec: 'msgpack', values: 'msgpack' } }, options)
}

/** Node's fs, with each fdatasync held until the test lets it go. */
function gatedIO(): { io: FileIO; held: Array<() => void>; syncs: () => number } {
  const held: Array<() => void> = []
  let syncs = 0
  const io: FileIO = Object.assign(Object.create(fs) as FileIO, {
    fdatasync(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void {
      syncs++
      held.push(() => fs.fdatasync(fd, callback))
    },
  })
  return { io, held, syncs: () => syncs }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve))
}

describe('async writes', () => {
  it('setAsync, deleteAsync and transactionAsync resolve once durable, in call order', async () => {
    const path = tempFile(dir)
    const db = open(path)
    const order: string[] = []
    const a = db.setAsync('a', 1).then(() => order.push('a'))
    const b = db.transactionAsync((d) => {
      d.set('b', (d.get('a') as number) + 1)
      return 'b'
    })
    void b.then(() => order.push('b'))
    const c = db.deleteAsync('a')
    void c.then(() => order.push('c'))
    const missing = db.deleteAsync('nope')
    expect(await b).toBe('b')
    expect(await c).toBe(true)
    expect(await missing).toBe(false)
    await a
    expect(order).toEqual(['a', 'b', 'c'])
    expect(db.get('a')).toBeUndefined()
    expect(db.get('b')).toBe(2)
    db.close()
    const again = open(path, { readOnly: true })
    expect([...again.entries()]).toEqual([['b', 2]])
    again.close()
  })

  it('on a handle that has made none: flushed resolves, nothing is queued, sync writes, compact and close work, and a first one after them commits', async () => {
    const path = tempFile(dir)
    const db = open(path)
    expect(db.queuedBytes).toBe(0)
    await db.flushed
    db.set('a', 1)
    db.commit()
    db.compact()
    await db.setAsync('b', 2)
    expect(db.queuedBytes).toBe(0)
    await db.flushed
    expect([...db.entries()]).toEqual([
      ['a', 1],
      ['b', 2],
    ])
    db.close()
    const unused = open(path)
    unused.close()
    await expect(unused.setAsync('c', 3)).rejects.toMatchObject({ code: 'DBDB_CLOSED' })
    await expect(unused.transactionAsync(() => 1)).rejects.toMatchObject({ code: 'DBDB_CLOSED' })
    const again = open(path, { readOnly: true })
    expect([...again.entries()]).toEqual([
      ['a', 1],
      ['b', 2],
    ])
    again.close()
  })

  it('makes one group, one write and one fdatasync of every call in one turn', async () => {
    const path = tempFile(dir)
    const { io, calls } = countingFileIO()
    const db = handle(path, io)
    db.set('warm', 0)
    db.commit()
    calls.syncs = 0
    calls.writes.length = 0
    const writes = Array.from({ length: 100 }, (_, i) => db.setAsync(`k${i}`, i))
    await Promise.all(writes)
    expect(calls.syncs).toBe(1)
    // The group's records and commit record in one write (plus reserved zeros if the file grew).
    expect(calls.writes.filter((n) => n > 0).length).toBeLessThanOrEqual(2)
    expect(db.size).toBe(101)
    expect(db.history({ limit: 2 }).map((h) => h.txid)).toEqual([2, 1])
    db.close()
  })

  it('builds the next group while the previous one syncs, and keeps the event loop free', async () => {
    const path = tempFile(dir)
    const gate = gatedIO()
    const db = handle(path, gate.io)
    const first = db.setAsync('x', 1)
    await until(() => gate.held.length === 1)
    // The sync is in flight: timers and reads go on, and the next group's functions run.
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    await until(() => ticks >= 3)
    clearInterval(timer)
    expect(db.get('x')).toBeUndefined() // not durable yet, so not visible
    expect(db.history().length).toBe(0)
    expect(db.txid).toBe(0)
    let ran = false
    const second = db.transactionAsync((d) => {
      ran = true
      return d.get('x')
    })
    await until(() => ran)
    expect(gate.syncs()).toBe(1)
    let firstDone = false
    void first.then(() => (firstDone = true))
    gate.held.shift()!()
    await first
    expect(firstDone).toBe(true)
    expect(db.get('x')).toBe(1)
    // The second group changed nothing: it needs no sync of its own.
    expect(await second).toBe(1)
    db.close()
  })

  it('a transaction that throws is undone alone; the rest of its group commits', async () => {
    const db = open(tempFile(dir))
    const ok1 = db.setAsync('a', 1)
    const bad = db.transactionAsync((d) => {
      d.set('a', 'overwritten')
      d.set('bad', true)
      throw new Error('no')
    })
    const failure = bad.catch((err: Error) => err.message)
    const ok2 = db.transactionAsync((d) => d.set('c', d.get('a')))
    await ok1
    expect(await failure).toBe('no')
    await ok2
    expect(db.get('a')).toBe(1)
    expect(db.get('bad')).toBeUndefined()
    expect(db.get('c')).toBe(1)
    db.close()
  })

  it('refuses a function that returns a promise, and bad arguments, without queueing', async () => {
    const db = open(tempFile(dir))
    await expect(db.transactionAsync(async () => 1)).rejects.toMatchObject({ code: 'DBDB_TRANSACTION' })
    await expect(db.setAsync(1 as unknown as string, 1)).rejects.toBeInstanceOf(TypeError)
    await expect(db.setAsync('k', undefined)).rejects.toBeInstanceOf(TypeError)
    await expect(db.transactionAsync('x' as never)).rejects.toBeInstanceOf(TypeError)
    expect(db.size).toBe(0)
    db.close()
  })

  it('captures key and value at the call', async () => {
    const db = open(tempFile(dir))
    const value = { n: 1 }
    const p = db.setAsync('k', value)
    value.n = 2
    await p
    expect(db.get('k')).toEqual({ n: 1 })
    db.close()
  })

  it('queues behind a synchronous transaction open on the handle; a synchronous write during async ones is refused', async () => {
    const db = open(tempFile(dir))
    db.set('sync', 1) // an implicit transaction: holds the lock until commit()
    const p = db.transactionAsync((d) => d.get('sync'))
    await new Promise((resolve) => setImmediate(resolve))
    db.commit()
    expect(await p).toBe(1)
    const q = db.setAsync('a', 1)
    expect(() => db.set('b', 2)).toThrow(expect.objectContaining({ code: 'DBDB_TRANSACTION' }))
    expect(() => db.transaction(() => 1)).toThrow(expect.objectContaining({ code: 'DBDB_TRANSACTION' }))
    await q
    await db.flushed
    db.set('b', 2)
    db.commit()
    expect(db.get('b')).toBe(2)
    db.close()
  })

  it('close() rejects what is not yet written with DBDB_CLOSED and finishes the group in flight', async () => {
    const path = tempFile(dir)
    const gate = gatedIO()
    const db = handle(path, gate.io)
    const inFlight = db.setAsync('a', 1)
    await until(() => gate.held.length === 1)
    const queued = db.setAsync('b', 2)
    db.close()
    await expect(queued).rejects.toMatchObject({ code: 'DBDB_CLOSED' })
    await expect(db.setAsync('c', 3)).rejects.toMatchObject({ code: 'DBDB_CLOSED' })
    await expect(db.transactionAsync(() => 1)).rejects.toMatchObject({ code: 'DBDB_CLOSED' })
    gate.held.shift()!()
    await inFlight
    const again = open(path, { readOnly: true })
    expect([...again.entries()]).toEqual([['a', 1]])
    again.close()
  })

  it('waits for another handle’s lock without blocking timers, and rejects with DBDB_LOCKED after lockTimeoutMs', async () => {
    const path = tempFile(dir)
    const holder = open(path)
    holder.set('held', 1)
    const db = open(path, { lockTimeoutMs: 200 })
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    const t0 = Date.now()
    await expect(db.setAsync('a', 1)).rejects.toMatchObject({ code: 'DBDB_LOCKED' })
    clearInterval(timer)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150)
    expect(ticks).toBeGreaterThan(3)
    const later = db.setAsync('b', 2)
    setTimeout(() => holder.commit(), 20)
    await later
    expect(db.get('held')).toBe(1)
    expect(db.get('b')).toBe(2)
    holder.close()
    db.close()
  })
})

describe('async write failures', () => {
  const path = '/x.db'
  const group = (db: Database<string, any>) => [db.setAsync('a', 1), db.setAsync('b', 2), db.deleteAsync('before')]

  /** The mutating call numbers of the second group's write and fdatasync, from a reference run. */
  async function callsOfGroup(): Promise<{ write: number; sync: number }> {
    const ref = new SimDisk()
    let sync = 0
    const fdatasync = ref.fdatasync.bind(ref)
    ref.fdatasync = (fd, callback) => {
      sync = ref.calls + 1
      fdatasync(fd, callback)
    }
    const db = handle(path, ref)
    await db.setAsync('before', 1)
    const write = ref.calls + 1
    await Promise.all(group(db))
    db.close()
    return { write, sync }
  }

  async function failingGroup(kind: 'EIO' | 'ENOSPC', pick: 'write' | 'sync'): Promise<void> {
    const calls = await callsOfGroup()
    const disk = new SimDisk()
    const db = handle(path, disk)
    await db.setAsync('before', 1)
    disk.failAt(calls[pick], kind)
    for (const p of group(db)) await expect(p).rejects.toMatchObject({ code: 'DBDB_IO' })
    // Fenced, as the synchronous path is.
    await expect(db.setAsync('c', 3)).rejects.toMatchObject({ code: 'DBDB_IO' })
    expect(db.get('a')).toBeUndefined()
    expect(db.get('before')).toBe(1)
    db.close()
    for (const after of [disk.restart(), disk.powerLoss(1, 'apply'), disk.powerLoss(2, 'drop')]) {
      const view = handle(path, after)
      expect([...view.entries()]).toEqual([['before', 1]])
      view.close()
    }
  }

  it('EIO on the group’s fdatasync rejects every promise of the group with DBDB_IO; nothing of it survives', async () => {
    await failingGroup('EIO', 'sync')
  })

  it('ENOSPC on the group’s write does the same', async () => {
    await failingGroup('ENOSPC', 'write')
  })
})

describe('async write durability', () => {
  it('a resolved write survives a power loss at that moment; the writes after it are whole or absent', async () => {
    const disk = new SimDisk()
    const path = '/p.db'
    const db = handle(path, disk)
    const resolved: number[] = []
    const checks: Array<{ disk: SimDisk; upTo: number }> = []
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 25; i++) {
        const n = w * 100 + i
        await db.transactionAsync((d) => {
          d.set(`a${n}`, n)
          d.set(`b${n}`, n)
        })
        resolved.push(n)
        // What a power cut right now would leave: only synced bytes.
        if (i % 5 === 0) checks.push({ disk: disk.powerLoss(n, 'drop'), upTo: resolved.length })
      }
    })
    await Promise.all(writers)
    db.close()
    expect(checks.length).toBe(40)
    for (const { disk: after, upTo } of checks) {
      const view = handle(path, after)
      for (const n of resolved.slice(0, upTo)) expect(view.get(`a${n}`), `write ${n}`).toBe(n)
      for (const [k, v] of view.entries()) expect(view.get(`${k.startsWith('a') ? 'b' : 'a'}${k.slice(1)}`)).toBe(v)
      view.close()
    }
  })
})

describe('async writes crashed at every mutating call', () => {
  const path = '/c.db'

  /** 6 writers × 8 transactions of two keys; returns what resolved, in order. */
  async function workload(disk: SimDisk): Promise<number[]> {
    const resolved: number[] = []
    let db: Database<string, any>
    try {
      db = handle(path, disk)
    } catch (err) {
      if (disk.crashed) return resolved
      throw err
    }
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < 8; i++) {
          const n = w * 10 + i
          try {
            await db.transactionAsync((d) => {
              d.set(`a${n}`, n)
              d.set(`b${n}`, 'x'.repeat(n * 50))
            })
          } catch (err) {
            if (disk.crashed || (err as { code?: string }).code === 'DBDB_IO') return
            throw err
          }
          resolved.push(n)
        }
      }),
    )
    try {
      db.close()
    } catch (err) {
      if (!disk.crashed) throw err
    }
    return resolved
  }

  it('every resolved transaction survives any power loss, and every transaction is whole', async () => {
    const reference = new SimDisk()
    await workload(reference)
    const calls = reference.calls
    expect(calls).toBeGreaterThan(10)
    let checked = 0
    for (let n = 1; n <= calls; n++) {
      const disk = new SimDisk()
      disk.failAt(n, 'crash')
      const resolved = await workload(disk)
      for (const mode of ['drop', 'apply', 'torn'] as const) {
        const after = disk.powerLoss(n, mode)
        if (!after.exists(path)) {
          expect(resolved, `crash at ${n}, ${mode}: no file, yet writes resolved`).toEqual([])
          continue
        }
        const view = handle(path, after)
        for (const r of resolved) expect(view.get(`a${r}`), `crash at ${n}, ${mode}: write ${r}`).toBe(r)
        for (const [k, v] of view.entries()) {
          if (k.startsWith('a')) expect(view.get(`b${v}`), `crash at ${n}, ${mode}: ${k} without b${v}`).toBe('x'.repeat(v * 50))
        }
        view.close()
        checked++
      }
    }
    console.log(`[crash] group commit crashed at each of ${calls} mutating calls: ${checked} reopened files checked`)
  })
})

describe('back-pressure', () => {
  it('one million unawaited setAsync calls: past maxQueuedBytes they reject with DBDB_BUSY, the rest are durable', async () => {
    const db = open(tempFile(dir), { maxQueuedBytes: 8 * 1024 * 1024 })
    const settled = { ok: 0, busy: 0, other: 0 }
    const heapBefore = process.memoryUsage().heapUsed
    let queuedPeak = 0
    for (let i = 0; i < 1_000_000; i++) {
      db.setAsync(`k${i}`, i).then(
        () => settled.ok++,
        (err: { code?: string }) => (err.code === 'DBDB_BUSY' ? settled.busy++ : settled.other++),
      )
      if (i % 1000 === 0) queuedPeak = Math.max(queuedPeak, db.queuedBytes)
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore
    await until(() => settled.ok + settled.busy + settled.other === 1_000_000)
    expect(settled.other).toBe(0)
    expect(queuedPeak).toBeLessThanOrEqual(8 * 1024 * 1024)
    expect(settled.busy).toBeGreaterThan(900_000)
    expect(db.size).toBe(settled.ok)
    // The accepted writes are the first calls, in order.
    expect(db.get('k0')).toBe(0)
    expect(db.get(`k${settled.ok - 1}`)).toBe(settled.ok - 1)
    expect(db.get(`k${settled.ok}`)).toBeUndefined()
    console.log(
      `[back-pressure] ${settled.ok} accepted, ${settled.busy} DBDB_BUSY, heap grew ${(heapGrowth / 2 ** 20).toFixed(0)} MiB while queueing`,
    )
    db.close()
  })
})
