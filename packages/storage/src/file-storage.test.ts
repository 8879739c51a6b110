// FileStorage on real files: the original DBDB's physical tests in spirit, plus
// reopening, two handles, the lock, abort, files that are not databases, and
// transactions large enough to flush the write buffer early.

import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { crc32 } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DbdbError, type DbdbErrorCode } from './errors.js'
import type { FileIO } from './file-io.js'
import { FileStorage, type FileStorageOptions } from './file-storage.js'
import { COMMIT_RECORD, DATA_START, FORMAT_VERSION, SLOT_SIZE, SLOT_USED } from './format.js'
import { countingFileIO } from './testing/counting-io.js'
import { prng, randomBytes, randomInt, testSeed } from './testing/random.js'

let dir: string
let file: string
const open: FileStorage[] = []

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-storage-'))
  file = path.join(dir, 'test.db')
})

afterEach(() => {
  for (const s of open.splice(0)) {
    try {
      s.close()
    } catch {
      // already closed or failed: the test said what it had to
    }
  }
  fs.rmSync(dir, { recursive: true, force: true })
})

/** The file holds nothing but zeros (reserved space) from `end` on. */
function expectNothingPast(end: number): void {
  const bytes = fs.readFileSync(file)
  expect(bytes.length).toBeGreaterThanOrEqual(end)
  expect(bytes.subarray(end).every((b) => b === 0)).toBe(true)
}

function openStorage(options: FileStorageOptions = {}, at = file): FileStorage {
  const s = FileStorage.open(at, options)
  open.push(s)
  return s
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

function expectCode(fn: () => unknown, code: DbdbErrorCode): DbdbError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(DbdbError)
    expect((err as DbdbError).code).toBe(code)
    return err as DbdbError
  }
  throw new Error(`expected ${code}, but nothing was thrown`)
}

/** Big enough that the write buffer (4 MiB) flushes before the commit. */
function largeRecords(seed: number): Uint8Array[] {
  const rand = prng(seed)
  return Array.from({ length: 9 }, (_, i) => Buffer.alloc(512 * 1024 + i, randomBytes(rand, 4096)))
}

describe('FileStorage: append, read, commit', () => {
  it('reads back what was appended', () => {
    const s = openStorage()
    s.lock()
    const sizes = [0, 1, 8, 100, 4087, 4088, 4096, 5000, 70000]
    const records = sizes.map((n, i) => Buffer.alloc(n, i + 1))
    const addresses = records.map((r) => s.append(r))
    for (const [i, r] of records.entries()) expect(Buffer.from(s.read(addresses[i]!))).toEqual(r)
    s.commit(addresses.at(-1)!)
    for (const [i, r] of records.entries()) expect(Buffer.from(s.read(addresses[i]!))).toEqual(r)
  })

  it('commits a root address', () => {
    const s = openStorage()
    expect(s.head()).toEqual({ txid: 0, root: 0, time: 0, address: 0 })
    s.lock()
    const root = s.append(bytes('root'))
    const head = s.commit(root)
    expect(head.txid).toBe(1)
    expect(head.root).toBe(root)
    expect(head.address).toBeGreaterThan(root)
    expect(s.head()).toEqual(head)
  })

  it('a record appended after a commit is not the committed root', () => {
    const s = openStorage()
    s.lock()
    const root = s.append(bytes('committed'))
    s.commit(root)
    const later = s.append(bytes('not committed'))
    expect(later).not.toBe(root)
    expect(s.head().root).toBe(root)
    s.unlock()
    const other = openStorage()
    expect(other.head().root).toBe(root)
    expect(Buffer.from(other.read(root)).toString()).toBe('committed')
  })

  it('runs a workflow of several appends and commits, reading every address back', () => {
    const s = openStorage()
    const written = new Map<number, string>()
    const heads = []
    s.lock()
    for (let tx = 1; tx <= 10; tx++) {
      let last = 0
      for (let i = 0; i < tx; i++) {
        const text = `tx ${tx} record ${i} `.repeat(i + 1)
        last = s.append(bytes(text))
        written.set(last, text)
      }
      heads.push(s.commit(last))
      if (tx % 3 === 0) {
        s.unlock()
        s.lock()
      }
      for (const [address, text] of written) expect(Buffer.from(s.read(address)).toString()).toBe(text)
    }
    s.close()
    const again = openStorage()
    expect(again.head()).toEqual(heads.at(-1))
    for (const [address, text] of written) expect(Buffer.from(again.read(address)).toString()).toBe(text)
    expect([...again.history()]).toEqual(heads.slice().reverse())
  })

  it('checks its arguments and its state', () => {
    expect(() => FileStorage.open('')).toThrow(TypeError)
    expect(() => FileStorage.open(file, { durability: 'sometimes' as never })).toThrow(TypeError)
    const s = openStorage()
    expectCode(() => s.append(bytes('x')), 'DBDB_TRANSACTION')
    expectCode(() => s.commit(0), 'DBDB_TRANSACTION')
    s.lock()
    expect(() => s.append('text' as never)).toThrow(TypeError)
    const a = s.append(bytes('x'))
    expect(() => s.commit(a + 1000)).toThrow(RangeError)
    expect(() => s.commit(100)).toThrow(RangeError)
    expect(expectCode(() => s.read(123), 'DBDB_CORRUPT').address).toBe(123)
    s.close()
    expectCode(() => s.head(), 'DBDB_CLOSED')
    expectCode(() => s.read(a), 'DBDB_CLOSED')
    expectCode(() => s.lock(), 'DBDB_CLOSED')
    s.close()
  })
})

describe('FileStorage: reopening and other handles', () => {
  it('a reopen sees the last commit', () => {
    const s = openStorage()
    s.lock()
    const a = s.append(bytes('one'))
    s.commit(a)
    const b = s.append(bytes('two'))
    const head = s.commit(b)
    s.append(bytes('never committed'))
    s.close()
    const again = openStorage()
    expect(again.head()).toEqual(head)
    expect(Buffer.from(again.read(b)).toString()).toBe('two')
    expectNothingPast(head.address + COMMIT_RECORD)
  })

  it('a second handle sees the commits of the first, and not its uncommitted appends', () => {
    const writer = openStorage()
    const reader = openStorage()
    writer.lock()
    const a = writer.append(bytes('first'))
    const head1 = writer.commit(a)
    expect(reader.head()).toEqual(head1)
    expect(Buffer.from(reader.read(a)).toString()).toBe('first')
    const b = writer.append(bytes('pending'))
    expect(reader.head()).toEqual(head1)
    expectCode(() => reader.read(b), 'DBDB_CORRUPT')
    // Even once the write buffer flushed to the file, the reader does not see it.
    const end = fs.statSync(file).size
    for (const r of largeRecords(1)) writer.append(r)
    expect(fs.statSync(file).size).toBeGreaterThan(end + 3 * 1024 * 1024)
    expect(reader.head()).toEqual(head1)
    const head2 = writer.commit(b)
    expect(reader.head()).toEqual(head2)
    expect(Buffer.from(reader.read(b)).toString()).toBe('pending')
  })

  it('lock() reloads the newest commit', () => {
    const first = openStorage()
    const second = openStorage()
    expect(second.head().txid).toBe(0)
    first.lock()
    const head = first.commit(first.append(bytes('x')))
    first.unlock()
    expect(second.lock()).toEqual(head)
    const next = second.commit(second.append(bytes('y')))
    expect(next.txid).toBe(2)
    expect(first.head()).toEqual(next)
  })

  it('a second handle in the same process cannot take the lock while the first holds it', () => {
    const first = openStorage({ lockTimeoutMs: 50 })
    const second = openStorage({ lockTimeoutMs: 50 })
    first.lock()
    expect(first.locked).toBe(true)
    expectCode(() => second.lock(), 'DBDB_LOCKED')
    expect(second.locked).toBe(false)
    first.unlock()
    second.lock()
    expect(second.locked).toBe(true)
    expectCode(() => first.lock(), 'DBDB_LOCKED')
    second.close()
    first.lock()
  })

  it('lists history newest first', () => {
    const s = openStorage()
    s.lock()
    const heads = []
    for (let i = 0; i < 5; i++) heads.push(s.commit(s.append(bytes(`v${i}`))))
    const history = [...s.history()]
    expect(history.map((h) => h.txid)).toEqual([5, 4, 3, 2, 1])
    expect(history).toEqual(heads.reverse())
    for (const h of history) expect(Buffer.from(s.read(h.root)).toString()).toBe(`v${h.txid - 1}`)
    expect([...openStorage().history()]).toEqual(history)
  })

  it('records meta when it creates the file, and keeps it', () => {
    const s = openStorage({ meta: { tree: 'bplus', codec: 'msgpack' } })
    expect(s.meta).toEqual({ tree: 'bplus', codec: 'msgpack' })
    s.lock()
    s.commit(s.append(bytes('x')))
    s.close()
    expect(openStorage({ meta: { tree: 'other' } }).meta).toEqual({ tree: 'bplus', codec: 'msgpack' })
    expect(openStorage({ readOnly: true }).meta).toEqual({ tree: 'bplus', codec: 'msgpack' })
    expect(() => FileStorage.open(path.join(dir, 'big.db'), { meta: { x: 'y'.repeat(2000) } })).toThrow(RangeError)
  })

  it('does not create a missing file when create is false', () => {
    expect(() => FileStorage.open(file, { create: false })).toThrow(
      expect.objectContaining({ code: 'DBDB_NOT_FOUND', cause: expect.objectContaining({ code: 'ENOENT' }) }),
    )
    expect(() => FileStorage.open(file, { readOnly: true })).toThrow(
      expect.objectContaining({ code: 'DBDB_NOT_FOUND', cause: expect.objectContaining({ code: 'ENOENT' }) }),
    )
    expect(fs.existsSync(file)).toBe(false)
  })
})

describe('FileStorage: abort and truncation', () => {
  it('abort drops the appends, keeps the lock, and the next append reuses the space', () => {
    const s = openStorage()
    s.lock()
    const head = s.commit(s.append(bytes('kept')))
    const dropped = s.append(bytes('dropped'))
    s.abort()
    expect(s.locked).toBe(true)
    expectCode(() => s.read(dropped), 'DBDB_CORRUPT')
    const again = s.append(bytes('again'))
    expect(again).toBe(dropped)
    s.unlock()
    expect(s.locked).toBe(false)
    expect(s.head()).toEqual(head)
    expectNothingPast(head.address + COMMIT_RECORD)
  })

  it('a writer cuts off bytes past the committed end when it takes the lock', () => {
    const s = openStorage()
    s.lock()
    const head = s.commit(s.append(bytes('x')))
    s.close()
    // What a writer killed mid-transaction leaves: bytes at the committed end.
    const end = head.address + COMMIT_RECORD
    const fd = fs.openSync(file, 'r+')
    fs.writeSync(fd, randomBytes(prng(7), 3000), 0, 3000, end)
    fs.closeSync(fd)
    const again = openStorage()
    expect(again.head()).toEqual(head)
    again.lock()
    expect(fs.statSync(file).size).toBe(end)
    expect(again.commit(again.append(bytes('y'))).txid).toBe(2)
  })

  it('a small durable commit that grows the file reserves zeros after it, which later commits overwrite', () => {
    const s = openStorage()
    const reader = openStorage()
    s.lock()
    const first = s.commit(s.append(bytes('first')))
    const size = fs.statSync(file).size
    expect(size).toBeGreaterThanOrEqual(first.address + COMMIT_RECORD + 16 * 1024)
    expectNothingPast(first.address + COMMIT_RECORD)
    let head = first
    for (let i = 0; i < 20; i++) {
      head = s.commit(s.append(bytes(`commit ${i}`)))
      // The reader notices each commit although the file's size does not change.
      expect(reader.head()).toEqual(head)
      expect(Buffer.from(reader.read(head.root)).toString()).toBe(`commit ${i}`)
    }
    expect(fs.statSync(file).size).toBe(size)
    s.close()
    expect(openStorage().head()).toEqual(head)
    expect(openStorage().verify()).toMatchObject({
      problems: [],
      tailBytes: 0,
      reservedBytes: size - head.address - COMMIT_RECORD,
      commits: head.txid,
    })
  })

  it('bytes left after reserved zeros (a torn write whose first sector never landed) are never read as records, and the next writer cuts them off', () => {
    const s = openStorage()
    s.lock()
    const first = s.commit(s.append(bytes('first')))
    s.close()
    const end = first.address + COMMIT_RECORD
    const fd = fs.openSync(file, 'r+')
    fs.writeSync(fd, randomBytes(prng(11), 3000), 0, 3000, end + 4096)
    fs.closeSync(fd)
    const again = openStorage()
    expect(again.head()).toEqual(first)
    again.lock()
    expect(fs.statSync(file).size).toBe(end)
    const second = again.commit(again.append(bytes('second')))
    again.close()
    const reopened = openStorage()
    expect(reopened.head()).toEqual(second)
    expect(Buffer.from(reopened.read(second.root)).toString()).toBe('second')
    const report = reopened.verify()
    expect(report.problems).toEqual([])
    expect(report.commits).toBe(second.txid)
    expect(report.tailBytes).toBe(0)
  })

  it('durable commits checkpoint the superblock every 1 MiB and at close; a lagging slot costs only a scan', () => {
    const slotTxids = (): number[] =>
      openStorage()
        .verify()
        .slots.map((slot) => slot.txid ?? -1)
    const s = openStorage()
    s.lock()
    const first = s.commit(s.append(bytes('first')))
    // Not checkpointed: the slots still point at the empty file, yet a new handle
    // (as after a crash now) finds the commit by scanning forward.
    expect(Math.max(...slotTxids())).toBe(0)
    expect(openStorage().head()).toEqual(first)
    let head = first
    const big = Buffer.alloc(200 * 1024, 7)
    for (let i = 0; i < 6; i++) head = s.commit(s.append(big))
    expect(Math.max(...slotTxids())).toBe(head.txid) // 1 MiB passed: checkpointed
    head = s.commit(s.append(bytes('last')))
    expect(Math.max(...slotTxids())).toBe(head.txid - 1)
    s.close()
    expect(Math.max(...slotTxids())).toBe(head.txid)
    expect(openStorage().head()).toEqual(head)
  })

  it('the forward scan finds every commit past a lagging slot, records of any size across its read windows', () => {
    // The scan reads the tail in windows growing from 16 KiB to 1 MiB; records here
    // (1 byte to 1.5 MiB) start and end anywhere in them, or span several.
    const seed = testSeed('scan windows')
    const rand = prng(seed)
    const s = openStorage({ durability: 'none' })
    const written: Array<{ address: number; bytes: Buffer }> = []
    let head = s.head()
    for (let total = 0; total < 6 * 1024 * 1024; ) {
      s.lock()
      let root = 0
      for (let r = randomInt(rand, 4); r >= 0; r--) {
        const size = rand() < 0.1 ? randomInt(rand, 1536 * 1024) + 1 : randomInt(rand, 40 * 1024) + 1
        const rec = randomBytes(prng(seed + written.length), size)
        root = s.append(rec)
        written.push({ address: root, bytes: rec })
        total += size
      }
      head = s.commit(root)
    }
    // No sync, so no checkpoint: a second handle finds all of it by scanning.
    const other = openStorage()
    expect(other.verify().slots.map((slot) => slot.txid)).toEqual([0, 0])
    expect(other.head()).toEqual(head)
    for (const { address, bytes: rec } of written) expect(Buffer.from(other.read(address)).equals(rec)).toBe(true)
    other.close()
    s.close()
  })

  it('opening an existing file makes one fstat, reads no more than 16 KiB at a time, and scans nothing after a clean close', () => {
    // The first fstat of a process costs ~0.2 ms and a 1 MiB read ~0.4 ms of a ~4 ms
    // reopen (bench README): keep them off the open path, but for the one fstat that
    // tells a regular file from a FIFO or a device, and names the file (device, inode).
    const s = openStorage()
    s.lock()
    let head = s.head()
    for (let i = 0; i < 20; i++) head = s.commit(s.append(randomBytes(prng(i), 3000)))
    s.close()
    expect(fs.statSync(file).size).toBeGreaterThan(head.address + COMMIT_RECORD + 4096) // reserved zeros follow
    for (const options of [{}, { readOnly: true }]) {
      const { io: counting, calls } = countingFileIO()
      const r = FileStorage.open(file, { ...options, io: counting })
      // The slots, the newest commit record, its root, and the 9 bytes after it: no scan.
      expect(calls.reads.length, JSON.stringify(options)).toBe(4)
      expect(r.head()).toEqual(head)
      expect(calls.fstats, JSON.stringify(options)).toBe(1) // is it a regular file, and which?
      expect(Math.max(...calls.reads)).toBeLessThanOrEqual(16 * 1024)
      r.close()
    }
  })

  it('knownHead is the head as the handle last found it, without reading the file', () => {
    const writer = openStorage()
    writer.lock()
    const first = writer.commit(writer.append(bytes('a')))
    writer.unlock()
    const { io: counting, calls } = countingFileIO()
    const reader = FileStorage.open(file, { io: counting })
    const atOpen = calls.reads.length
    expect(reader.knownHead).toEqual(first)
    writer.lock()
    const second = writer.commit(writer.append(bytes('b')))
    writer.unlock()
    expect(reader.knownHead).toEqual(first)
    expect(calls.reads.length).toBe(atOpen)
    expect(reader.head()).toEqual(second)
    expect(reader.knownHead).toEqual(second)
    reader.close()
    writer.close()
    expect(() => reader.knownHead).toThrow()
  })

  it('reads a record of up to 8 KiB (a full default B+ leaf is ~7.5 KB) with one pread', () => {
    const s = openStorage()
    s.lock()
    const small = s.append(randomBytes(prng(1), 40))
    const leafSized = s.append(randomBytes(prng(2), 7600))
    const large = s.append(randomBytes(prng(3), 20000))
    s.commit(small)
    s.close()
    const { io: counting, calls } = countingFileIO()
    const r = FileStorage.open(file, { io: counting })
    const readsOf = (address: number, length: number): number => {
      const before = calls.reads.length
      expect(r.read(address).length).toBe(length)
      return calls.reads.length - before
    }
    expect(readsOf(small, 40)).toBe(1)
    expect(readsOf(leafSized, 7600)).toBe(1)
    expect(readsOf(large, 20000)).toBe(2)
    r.close()
  })

  it('durability none does not reserve', () => {
    const s = openStorage({ durability: 'none' })
    s.lock()
    const head = s.commit(s.append(bytes('x')))
    expect(fs.statSync(file).size).toBe(head.address + COMMIT_RECORD)
  })

  it('a large transaction (over 4 MiB, flushed early) commits and reads back', () => {
    const s = openStorage()
    s.lock()
    const records = largeRecords(2)
    const addresses = records.map((r) => s.append(r))
    expect(fs.statSync(file).size).toBeGreaterThan(DATA_START + 3 * 1024 * 1024)
    for (const [i, r] of records.entries()) expect(Buffer.from(s.read(addresses[i]!)).equals(r)).toBe(true)
    const head = s.commit(addresses[0]!)
    s.close()
    const again = openStorage()
    expect(again.head()).toEqual(head)
    for (const [i, r] of records.entries()) expect(Buffer.from(again.read(addresses[i]!)).equals(r)).toBe(true)
  })

  it('a large transaction aborted after flushing leaves the file at the previous commit', () => {
    const s = openStorage()
    s.lock()
    const head = s.commit(s.append(bytes('before')))
    const end = head.address + COMMIT_RECORD
    const flushed = largeRecords(3).map((r) => s.append(r))
    expect(fs.statSync(file).size).toBeGreaterThan(end)
    s.abort()
    expect(fs.statSync(file).size).toBe(end)
    expectCode(() => s.read(flushed[0]!), 'DBDB_CORRUPT')
    for (const r of largeRecords(4)) s.append(r)
    s.unlock()
    expect(fs.statSync(file).size).toBe(end)
    s.close()
    const again = openStorage()
    expect(again.head()).toEqual(head)
    again.lock()
    const next = again.commit(again.append(bytes('after')))
    expect(next.txid).toBe(2)
    expect(Buffer.from(openStorage().read(next.root)).toString()).toBe('after')
  })

  it('close() drops an open transaction', () => {
    const s = openStorage()
    s.lock()
    const head = s.commit(s.append(bytes('a')))
    for (const r of largeRecords(5)) s.append(r)
    s.close()
    expect(fs.statSync(file).size).toBe(head.address + COMMIT_RECORD)
    expect(openStorage().head()).toEqual(head)
  })
})

describe('FileStorage: temporary files of killed creations', () => {
  it('creating a database removes its own strays over a minute old, and nothing else', () => {
    const name = path.basename(file)
    const old = Date.now() / 1000 - 120
    const stray = (entry: string, mtime?: number): string => {
      const p = path.join(dir, entry)
      fs.writeFileSync(p, 'half made')
      if (mtime !== undefined) fs.utimesSync(p, mtime, mtime)
      return entry
    }
    const stale = stray(`.${name}.4242.deadbeef.creating`, old)
    const fresh = stray(`.${name}.4243.cafebabe.creating`)
    const other = stray(`.other.db.4242.deadbeef.creating`, old)
    const lookalike = stray(`.${name}.notapid.creating`, old)
    openStorage().close()
    const left = fs.readdirSync(dir)
    expect(left).not.toContain(stale)
    expect(left).toEqual(expect.arrayContaining([name, fresh, other, lookalike]))
    // Opening an existing file does not look (a folder may be large).
    stray(stale, old)
    openStorage().close()
    expect(fs.readdirSync(dir)).toContain(stale)
  })
})

describe('FileStorage: files it must not touch', () => {
  function expectRefused(target: string, code: DbdbErrorCode): void {
    const before = fs.statSync(target).isDirectory() ? undefined : fs.readFileSync(target)
    const mtime = fs.statSync(target).mtimeMs
    for (const options of [{}, { readOnly: true }, { create: false }]) {
      expectCode(() => FileStorage.open(target, options), code)
    }
    if (before !== undefined) expect(fs.readFileSync(target).equals(before)).toBe(true)
    expect(fs.statSync(target).mtimeMs).toBe(mtime)
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.creating'))).toEqual([])
  }

  it('refuses random bytes', () => {
    const rand = prng(11)
    for (const size of [DATA_START, 20000]) {
      fs.writeFileSync(file, randomBytes(rand, size))
      expectRefused(file, 'DBDB_NOT_A_DATABASE')
    }
  })

  it('refuses a text file', () => {
    fs.writeFileSync(file, 'hello, this is a text file, not a database\n'.repeat(500))
    expectRefused(file, 'DBDB_NOT_A_DATABASE')
    fs.writeFileSync(file, 'short text\n')
    expectRefused(file, 'DBDB_NOT_A_DATABASE')
  })

  it('refuses a 100-byte file', () => {
    fs.writeFileSync(file, Buffer.alloc(100, 0x41))
    expectRefused(file, 'DBDB_NOT_A_DATABASE')
    const rand = prng(12)
    const random = randomBytes(rand, 100)
    random[0] = 0x17
    fs.writeFileSync(file, random)
    expectRefused(file, 'DBDB_NOT_A_DATABASE')
  })

  it('refuses a directory', () => {
    const sub = path.join(dir, 'a-directory')
    fs.mkdirSync(sub)
    fs.writeFileSync(path.join(sub, 'inside'), 'x')
    expectRefused(sub, 'DBDB_NOT_A_DATABASE')
    expect(fs.readdirSync(sub)).toEqual(['inside'])
  })

  it('refuses a file of a newer format version, and leaves it untouched', () => {
    const s = openStorage()
    s.lock()
    s.commit(s.append(bytes('x')))
    s.close()
    const original = fs.readFileSync(file)
    for (const slots of [[0], [1], [0, 1]]) {
      const image = Buffer.from(original)
      for (const i of slots) {
        const slot = image.subarray(i * SLOT_SIZE, (i + 1) * SLOT_SIZE)
        slot.writeUInt32LE(FORMAT_VERSION + 1, 8)
        slot.writeUInt32LE(crc32(slot.subarray(0, SLOT_USED - 4)), SLOT_USED - 4) // the slot's checksum is its last used word
      }
      fs.writeFileSync(file, image)
      expectRefused(file, 'DBDB_VERSION')
    }
  })

  it('makes an empty existing file a database (and refuses it read-only)', () => {
    fs.writeFileSync(file, '')
    expectCode(() => FileStorage.open(file, { readOnly: true }), 'DBDB_NOT_A_DATABASE')
    expect(fs.statSync(file).size).toBe(0)
    const s = openStorage({ meta: { made: 'here' } })
    expect(s.head().txid).toBe(0)
    expect(s.meta).toEqual({ made: 'here' })
    expect(fs.statSync(file).size).toBe(DATA_START)
    s.lock()
    const head = s.commit(s.append(bytes('x')))
    s.close()
    expect(openStorage({ readOnly: true }).head()).toEqual(head)
  })

  it('opens an empty file that another opener makes a database between its first read and its fstat', () => {
    // Found in review: the slots are read before the size, so a file finished meanwhile
    // must be read again, not judged by the empty first read ("both slots damaged").
    for (const readOnly of [false, true]) {
      fs.writeFileSync(file, '')
      let raced = false
      const racing: FileIO = Object.assign(Object.create(fs) as FileIO, {
        fstatSync(fd: number) {
          if (!raced) {
            raced = true
            FileStorage.open(file, { meta: { made: 'there' } }).close()
          }
          return fs.fstatSync(fd)
        },
      })
      const s = FileStorage.open(file, { readOnly, io: racing })
      expect(raced).toBe(true)
      expect(s.head().txid).toBe(0)
      expect(s.meta).toEqual({ made: 'there' })
      s.close()
    }
  })

  it('a read-only open never writes', () => {
    const s = openStorage()
    s.lock()
    const heads = [s.commit(s.append(bytes('a'))), s.commit(s.append(bytes('b')))]
    s.close()
    // Garbage past the end, as a crashed writer leaves: a writer would cut it off.
    fs.appendFileSync(file, randomBytes(prng(13), 5000))
    const past = new Date(Date.now() - 3_600_000)
    fs.utimesSync(file, past, past)
    const before = fs.readFileSync(file)
    const mtime = fs.statSync(file).mtimeMs
    const r = openStorage({ readOnly: true })
    expect(r.readOnly).toBe(true)
    expect(r.head()).toEqual(heads[1])
    expect([...r.history()]).toEqual(heads.slice().reverse())
    expect(Buffer.from(r.read(heads[0]!.root)).toString()).toBe('a')
    expectCode(() => r.lock(), 'DBDB_READ_ONLY')
    expectCode(() => r.append(bytes('x')), 'DBDB_READ_ONLY')
    expectCode(() => r.commit(0), 'DBDB_READ_ONLY')
    r.unlock()
    r.abort()
    r.close()
    expect(fs.readFileSync(file).equals(before)).toBe(true)
    expect(fs.statSync(file).mtimeMs).toBe(mtime)
  })

  it('opens a file it may not write read-only, and says why (EACCES injected, so it holds for root too)', () => {
    const s = openStorage()
    s.lock()
    const head = s.commit(s.append(bytes('a')))
    s.close()
    const denied: FileIO = Object.assign(Object.create(fs) as FileIO, {
      openSync(p: string, flags: string, mode?: number): number {
        if (flags !== 'r') throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' })
        return fs.openSync(p, flags, mode)
      },
    })
    const r = FileStorage.open(file, { io: denied })
    expect(r.readOnly).toBe(true)
    expect(r.head()).toEqual(head)
    const err = expectCode(() => r.lock(), 'DBDB_READ_ONLY')
    expect(err.message).toMatch(/not writable: EACCES/)
    r.close()
  })

  it('an exclusive creation of a file that exists in a folder it may not write to says DBDB_EXISTS (EACCES injected)', () => {
    const s = openStorage()
    s.close()
    const denied: FileIO = Object.assign(Object.create(fs) as FileIO, {
      openSync(p: string, flags: string, mode?: number): number {
        if (p.endsWith('.creating')) throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' })
        return fs.openSync(p, flags, mode)
      },
    })
    expectCode(() => FileStorage.open(file, { io: denied, exclusive: true }), 'DBDB_EXISTS')
    // Nothing there: the reason it could not create one.
    expect(() => FileStorage.open(`${file}.missing`, { io: denied, exclusive: true })).toThrow(/EACCES/)
  })

  const asRoot = process.getuid?.() === 0
  it(
    asRoot
      ? 'opens read-only when asked (running as root, so a file without write permission cannot be tested)'
      : 'opens a file without write permission read-only',
    () => {
      const s = openStorage()
      s.lock()
      const head = s.commit(s.append(bytes('a')))
      s.close()
      if (!asRoot) fs.chmodSync(file, 0o444)
      const before = fs.readFileSync(file)
      const r = openStorage(asRoot ? { readOnly: true } : {})
      expect(r.readOnly).toBe(true)
      expect(r.head()).toEqual(head)
      const err = expectCode(() => r.lock(), 'DBDB_READ_ONLY')
      if (!asRoot) expect(err.message).toMatch(/not writable/)
      r.close()
      expect(fs.readFileSync(file).equals(before)).toBe(true)
    },
  )
})
