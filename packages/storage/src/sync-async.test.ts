// syncAsync() with commits written while earlier syncs are still on the thread pool:
// several syncs in flight settle in call order, a failure fails every later one, and
// no sync reports durable a commit that a failure cut off.

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FileIO } from './file-io.js'
import { FileStorage } from './file-storage.js'

let dir: string
let file: string
const opened: FileStorage[] = []

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-sync-async-'))
  file = path.join(dir, 'test.db')
})

afterEach(() => {
  for (const s of opened.splice(0)) {
    try {
      s.close()
    } catch {
      // closed already, or fenced by the failure the test made
    }
  }
  fs.rmSync(dir, { recursive: true, force: true })
})

type Callback = (err: NodeJS.ErrnoException | null) => void

/** Node's fs, with each fdatasync (and, if asked, each asynchronous write) held until the test lets it go or fails it. */
function gatedIO(gateWrites = false): { io: FileIO; syncs: Array<{ run: () => void; fail: () => void }>; writes: Array<() => void> } {
  const syncs: Array<{ run: () => void; fail: () => void }> = []
  const writes: Array<() => void> = []
  const eio = (): NodeJS.ErrnoException => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
  const io: FileIO = Object.assign(Object.create(fs) as FileIO, {
    fdatasync(fd: number, callback: Callback): void {
      syncs.push({ run: () => fs.fdatasync(fd, callback), fail: () => setImmediate(() => callback(eio())) })
    },
    ...(gateWrites
      ? {
          write(
            fd: number,
            buffer: Uint8Array,
            offset: number,
            length: number,
            position: number,
            callback: (err: NodeJS.ErrnoException | null, n: number) => void,
          ): void {
            writes.push(() => fs.write(fd, buffer, offset, length, position, callback))
          },
        }
      : {}),
  })
  return { io, syncs, writes }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve))
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

function openStorage(io?: FileIO): FileStorage {
  const s = FileStorage.open(file, io === undefined ? {} : { io })
  opened.push(s)
  return s
}

/** A storage with one synced commit (txid 1), holding the lock, with `io`. */
function started(io: FileIO): FileStorage {
  const s = openStorage(io)
  s.lock()
  s.commit(s.append(text('base')))
  return s
}

/** A commit written for a later sync, with a record big enough not to fit in reserved zeros. */
function deferred(s: FileStorage, name: string): number {
  return s.commit(s.append(text(name)), { sync: false }).txid
}

function headAfterReopen(): number {
  const s = openStorage()
  const txid = s.head().txid
  s.close()
  return txid
}

describe('syncAsync with several syncs in flight', () => {
  it('two that succeed make both commits durable: a later failure cuts off only what came after them', async () => {
    const gate = gatedIO()
    const s = started(gate.io)
    expect(deferred(s, 'two')).toBe(2)
    const first = s.syncAsync()
    await until(() => gate.syncs.length === 1)
    expect(deferred(s, 'three')).toBe(3)
    const second = s.syncAsync()
    await until(() => gate.syncs.length === 2)
    gate.syncs[0]!.run()
    await first
    gate.syncs[1]!.run()
    await second
    expect(deferred(s, 'four')).toBe(4)
    const third = s.syncAsync()
    await until(() => gate.syncs.length === 3)
    gate.syncs[2]!.fail()
    await expect(third).rejects.toMatchObject({ code: 'DBDB_IO', message: expect.stringContaining('stays at transaction 3') })
    s.close()
    expect(headAfterReopen()).toBe(3)
  })

  it('the first failing while the second is in flight fails the second too, whatever its fdatasync returns', async () => {
    const gate = gatedIO()
    const s = started(gate.io)
    deferred(s, 'two')
    const first = s.syncAsync()
    await until(() => gate.syncs.length === 1)
    deferred(s, 'three')
    const second = s.syncAsync()
    await until(() => gate.syncs.length === 2)
    gate.syncs[1]!.run()
    gate.syncs[0]!.fail()
    await expect(first).rejects.toMatchObject({ code: 'DBDB_IO', message: expect.stringContaining('stays at transaction 1') })
    await expect(second).rejects.toMatchObject({ code: 'DBDB_IO' })
    expect(s.knownHead.txid).toBe(1)
    s.close()
    expect(headAfterReopen()).toBe(1)
  })

  it('the second failing while the first is in flight cuts off only the second’s commit, once the first has succeeded', async () => {
    const gate = gatedIO()
    const s = started(gate.io)
    deferred(s, 'two')
    const first = s.syncAsync()
    await until(() => gate.syncs.length === 1)
    deferred(s, 'three')
    const second = s.syncAsync()
    await until(() => gate.syncs.length === 2)
    // The second's failure is reported first; it is taken after the first's outcome.
    gate.syncs[1]!.fail()
    await new Promise((resolve) => setImmediate(resolve))
    gate.syncs[0]!.run()
    await first
    await expect(second).rejects.toMatchObject({ code: 'DBDB_IO', message: expect.stringContaining('stays at transaction 2') })
    expect(s.knownHead.txid).toBe(2)
    s.close()
    expect(headAfterReopen()).toBe(2)
  })

  it('close() with two syncs in flight closes once both have settled; both commits are durable', async () => {
    const gate = gatedIO()
    const s = started(gate.io)
    deferred(s, 'two')
    const first = s.syncAsync()
    await until(() => gate.syncs.length === 1)
    deferred(s, 'three')
    const second = s.syncAsync()
    await until(() => gate.syncs.length === 2)
    s.close()
    expect(s.closed).toBe(true)
    gate.syncs[0]!.run()
    await first
    gate.syncs[1]!.run()
    await second
    expect(headAfterReopen()).toBe(3)
  })

  it('refuses a commit while a sync writes the reserved zeros where it would go', async () => {
    const gate = gatedIO(true)
    const s = openStorage(gate.io)
    s.lock()
    // The first commit grows the file: its sync writes the reserved zeros after it.
    deferred(s, 'one')
    const first = s.syncAsync()
    await until(() => gate.writes.length === 1)
    expect(s.writingReserve).toBe(true)
    expect(() => s.commit(s.append(text('two')), { sync: false })).toThrow(expect.objectContaining({ code: 'DBDB_TRANSACTION' }))
    s.abort()
    while (gate.syncs.length === 0) {
      gate.writes.shift()?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(s.writingReserve).toBe(false)
    gate.syncs[0]!.run()
    await first
    expect(deferred(s, 'two')).toBe(2)
    const second = s.syncAsync()
    await until(() => gate.syncs.length === 2)
    gate.syncs[1]!.run()
    await second
    s.close()
    expect(headAfterReopen()).toBe(2)
    const again = openStorage()
    expect(again.verify().problems).toEqual([])
  })
})
