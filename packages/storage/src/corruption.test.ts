// Corruption tests on a small database of four commits: torn and flipped
// superblock slots, flipped records, a damaged tail, truncation, and slots that
// point somewhere impossible. A damaged file either opens to an intact earlier
// commit or throws a coded DbdbError; a damaged record is never returned as data.

import { describe, expect, it } from 'vitest'
import { DbdbError } from './errors.js'
import type { FileStorage } from './file-storage.js'
import { COMMIT_RECORD, DATA_START, decodeSlot, encodeSlot, RECORD_HEADER, SLOT_SIZE, SLOT_USED } from './format.js'
import { buildSmallDb, type Commit, commitRecords, DB, dbdbCode, expectAtCommit, expectCode, openDb, openImage } from './sim-db.fixture.js'
import { prng, randomBytes, randomInt, SimDisk, testSeed } from './testing/index.js'

const { history, images, reachable, disk: built } = buildSmallDb()
const newest = history.length
const final = images[newest]!

function flipped(image: Buffer, bit: number): Buffer {
  const copy = Buffer.from(image)
  copy[bit >> 3]! ^= 1 << (bit & 7)
  return copy
}

/** The txid each slot of `image` holds (-1: not valid). */
function slotTxids(image: Buffer): number[] {
  return [0, 1].map((i) => decodeSlot(image.subarray(i * SLOT_SIZE, (i + 1) * SLOT_SIZE))?.txid ?? -1)
}

/** Opens `image`; it must be at exactly commit `txid`, and a writer must be able to commit on top. */
function expectOpensAt(image: Buffer, txid: number, alsoWrite = false): void {
  const disk = new SimDisk()
  disk.writeFile(DB, image)
  const s = openDb(disk)
  expectAtCommit(s, history, txid)
  if (alsoWrite) {
    s.lock()
    const next = commitRecords(s, [Buffer.from('next')], { index: 0 })
    expect(next.head.txid).toBe(txid + 1)
    s.close()
    // Durable, and the checkpoint (synced or torn) did not ruin the older slot.
    for (let seed = 0; seed < 4; seed++) {
      const again = openDb(disk.powerLoss(seed, seed === 0 ? 'drop' : 'torn'))
      expectAtCommit(again, [...history.slice(0, txid), next], txid + 1)
      again.close()
    }
  }
  s.close()
}

describe('superblock slots', () => {
  const before = images[newest - 1]!
  const slot = slotTxids(before).indexOf(Math.min(...slotTxids(before)))
  const start = slot * SLOT_SIZE

  it('the last checkpoint overwrote the older slot and nothing else of it', () => {
    expect(slotTxids(before).sort()).toEqual([newest - 2, newest - 1])
    expect(slotTxids(final)[slot]).toBe(newest)
    expect(final.subarray(0, DATA_START).equals(before.subarray(0, DATA_START))).toBe(false)
    const other = (1 - slot) * SLOT_SIZE
    expect(final.subarray(other, other + SLOT_SIZE).equals(before.subarray(other, other + SLOT_SIZE))).toBe(true)
  })

  it('a torn write of the newest slot, at every split point, opens to the newest or previous commit', () => {
    for (let k = 0; k <= SLOT_SIZE; k++) {
      // First k bytes of the new slot, the rest still the old one.
      const image = Buffer.from(final)
      before.copy(image, start + k, start + k, start + SLOT_SIZE)
      const s = openImage(image)
      const txid = s.head().txid
      expect([newest - 1, newest], `split at ${k}`).toContain(txid)
      expectAtCommit(s, history, txid)
      s.close()
      if (k % 97 === 0 || k === SLOT_USED - 1 || k === SLOT_USED) expectOpensAt(image, txid, true)
    }
  })

  it('a bit flip in either slot still opens to the newest commit (the data is intact)', () => {
    let flips = 0
    for (const i of [0, 1]) {
      const bits = [...Array(SLOT_USED * 8).keys(), ...[SLOT_USED, 2000, SLOT_SIZE - 1].map((b) => b * 8 + 3)]
      for (const bit of bits) {
        const image = flipped(final, i * SLOT_SIZE * 8 + bit)
        try {
          expectOpensAt(image, newest, bit % 301 === 0)
        } catch (err) {
          throw new Error(`slot ${i}, bit ${bit}: ${(err as Error).message}`, { cause: err })
        }
        flips++
      }
    }
    expect(flips).toBeGreaterThan(17000)
  })

  it('both slots damaged: DBDB_CORRUPT, not NOT_A_DATABASE', () => {
    const image = flipped(flipped(final, 24 * 8), (SLOT_SIZE + 24) * 8)
    expectCode(() => openImage(image), 'DBDB_CORRUPT')
    const zeroed = Buffer.from(final)
    zeroed.fill(0, 8, DATA_START)
    expectCode(() => openImage(zeroed), 'DBDB_CORRUPT')
  })
})

describe('records', () => {
  it('a flip in a record reachable from the newest root: read() throws DBDB_CORRUPT naming it, other records read back intact', () => {
    const root = reachable[0]!
    let flips = 0
    for (const record of reachable) {
      for (let bit = 0; bit < (RECORD_HEADER + record.bytes.length) * 8; bit++) {
        const s = openImage(flipped(final, record.address * 8 + bit))
        const where = `record ${record.address}, bit ${bit}`
        // The newest root is checked on open: a damaged one sends open back a commit.
        const txid = record === root ? newest - 1 : newest
        expect(s.head().txid, where).toBe(txid)
        const err = expectCode(() => s.read(record.address), 'DBDB_CORRUPT')
        expect(err.address, where).toBe(record.address)
        for (const other of history.slice(0, txid).flatMap((c) => c.records)) {
          if (other !== record) expect(Buffer.from(s.read(other.address)).equals(other.bytes), where).toBe(true)
        }
        s.close()
        flips++
      }
    }
    expect(flips).toBeGreaterThan(1000)
  })

  it('a checksum-valid record of the wrong type is not returned as data', () => {
    const s = openImage(final)
    const err = expectCode(() => s.read(history.at(-1)!.head.address), 'DBDB_CORRUPT')
    expect(err.address).toBe(history.at(-1)!.head.address)
    // An address inside a record: whatever is there does not check out.
    const leaf = reachable[1]!
    for (let at = leaf.address + 1; at < leaf.address + RECORD_HEADER + leaf.bytes.length; at++) {
      expect(dbdbCode(() => s.read(at))).toBe('DBDB_CORRUPT')
    }
  })

  it('a valid newest slot whose root record is garbage falls back to the older slot', () => {
    const root = reachable[0]!
    const image = Buffer.from(final)
    randomBytes(prng(5), RECORD_HEADER + root.bytes.length).copy(image, root.address)
    expect(slotTxids(image)).toContain(newest)
    expectOpensAt(image, newest - 1)
    const s = openImage(image)
    expect(expectCode(() => s.read(root.address), 'DBDB_CORRUPT').address).toBe(root.address)
  })

  it('after falling back from a damaged newest slot, the next checkpoint overwrites that slot, not the good one', () => {
    const root = reachable[0]!
    const image = Buffer.from(final)
    image.fill(0xee, root.address + RECORD_HEADER, root.address + RECORD_HEADER + root.bytes.length)
    const disk = new SimDisk()
    disk.writeFile(DB, image)
    const s = openDb(disk)
    expect(s.head().txid).toBe(newest - 1)
    s.lock()
    // A smaller transaction than the one it replaces: the damaged slot's commit address is now past the end.
    const next = commitRecords(s, [Buffer.from('n')], { index: 0 })
    s.close()
    expect(slotTxids(disk.readFile(DB)).sort()).toEqual([newest - 1, newest])
    // So a torn checkpoint can cost at most the checkpoint.
    for (let seed = 0; seed < 50; seed++) {
      const again = openDb(disk.powerLoss(seed, 'torn'))
      expectAtCommit(again, [...history.slice(0, newest - 1), next], newest)
      again.close()
    }
  })
})

describe('the tail', () => {
  // The newest commit found only by the forward scan: its checkpoint never reached the disk.
  const tail = built.powerLoss(0, 'drop').readFile(DB)
  const last = history.at(-1)!
  const txStart = history.at(-2)!.end

  it('is reached by the scan when intact', () => {
    expect(Math.max(...slotTxids(tail))).toBe(newest - 1)
    expectOpensAt(tail, newest, true)
  })

  it('a bit flip anywhere in the last transaction makes open fall back to the previous commit', () => {
    for (let bit = txStart * 8; bit < last.end * 8; bit++) {
      try {
        expectOpensAt(flipped(tail, bit), newest - 1, bit % 211 === 0)
      } catch (err) {
        throw new Error(`bit ${bit}: ${(err as Error).message}`, { cause: err })
      }
    }
  })

  it('a flip in the commit record of a checkpointed last commit falls back too', () => {
    for (let bit = last.head.address * 8; bit < last.end * 8; bit++) expectOpensAt(flipped(final, bit), newest - 1)
  })

  it('garbage after the last commit is ignored, and cut off by the next writer', () => {
    const rand = prng(9)
    for (const garbage of [randomBytes(rand, 5), randomBytes(rand, 3000), Buffer.alloc(100), lengthBomb()]) {
      expectOpensAt(Buffer.concat([final, garbage]), newest, true)
      expectOpensAt(Buffer.concat([tail, garbage]), newest, true)
    }
  })
})

describe('a hole of zeros right after the commit the open starts from', () => {
  // The newest commit found only by the forward scan (its checkpoint never reached the
  // disk): the newest valid slot points at commit 3, the other at commit 2.
  const tail = built.powerLoss(0, 'drop').readFile(DB)
  const [c2, c3] = [history[1]!, history[2]!]
  const c3Root = c3.records.at(-1)!
  // Zeros from where commit 3 starts into its root record: the slot of commit 3 no longer
  // checks out, the open falls back to the slot of commit 2, and zeros follow commit 2.
  // Commit 3's commit record and all of commit 4 are intact.
  const holed = Buffer.from(tail)
  holed.fill(0, c2.end, c3Root.address + RECORD_HEADER + 2)

  it('is damage when intact commits follow: the writer refuses at its lock and writes nothing', () => {
    expect(slotTxids(holed).sort()).toEqual([newest - 2, newest - 1])
    const disk = new SimDisk()
    disk.writeFile(DB, holed)
    const s = openDb(disk)
    // The open looks no further than the bytes after the head's commit record.
    expect(s.head().txid).toBe(2)
    const err = expectCode(() => s.lock(), 'DBDB_CORRUPT')
    expect(err.address).toBe(c2.end)
    expect(err.message).toContain(`transaction 3 (from address ${c2.end}) is damaged: bytes ${c2.end} to ${c3.end}`)
    expect(err.message).toContain('(transaction 4)')
    expect(s.locked).toBe(false)
    s.close()
    expect(disk.readFile(DB).equals(holed)).toBe(true)
  })

  it('a commit an earlier writer made over it, its checkpoint lost: opens there, and the commit left past it is not damage', () => {
    // What a writer that wrote over the hole left: its commit 3 (a shorter transaction)
    // at commit 2's end, the rest of the hole, what is left of the old commit 3, and the
    // old commit 4, intact, whose txid is the next after the new head's.
    const clean = new SimDisk()
    clean.writeFile(DB, tail.subarray(0, c2.end))
    const w = openDb(clean)
    w.lock()
    const mine = commitRecords(w, [Buffer.from('over the hole')], { index: 0 })
    w.close()
    expect(mine.end).toBeLessThan(c3Root.address + RECORD_HEADER + 2)
    const image = Buffer.from(holed)
    clean.readFile(DB).copy(image, c2.end, c2.end, mine.end)
    const mixed = [...history.slice(0, 2), mine]

    for (const readOnly of [false, true]) {
      const s = openImage(image, { readOnly })
      expectAtCommit(s, mixed, 3)
      expect(s.verify().damage).toEqual([])
      s.close()
    }

    // The next writer cuts off what follows the head, durably, and commits on top.
    const disk = new SimDisk()
    disk.writeFile(DB, image)
    const s = openDb(disk)
    s.lock()
    expect(disk.readFile(DB).length).toBe(mine.end)
    const next = commitRecords(s, [Buffer.from('next')], { index: 0 })
    s.close()
    for (let seed = 0; seed < 20; seed++) {
      const again = openDb(disk.powerLoss(seed, seed === 0 ? 'drop' : 'torn'))
      expectAtCommit(again, [...mixed, next], 4)
      again.close()
    }
  })
})

/** A record header claiming 0xffffffff bytes. */
function lengthBomb(): Buffer {
  const header = Buffer.alloc(RECORD_HEADER)
  header.writeUInt32LE(0xffff_ffff, 0)
  header[4] = 1
  return header
}

describe('truncation', () => {
  it('a file cut at any length opens to an earlier commit, intact, or fails with a coded error', () => {
    const seed = testSeed('truncation')
    const rand = prng(seed)
    const boundaries = history.flatMap((c) => [c.end, ...c.records.map((r) => r.address)]).flatMap((b) => [b - 1, b, b + 1])
    const lengths = [0, 1, 8, 100, SLOT_USED, SLOT_SIZE, SLOT_SIZE + SLOT_USED, DATA_START, ...boundaries]
    for (let i = 0; i < 300; i++) lengths.push(randomInt(rand, final.length))
    const outcomes = new Map<string, number>()
    for (const length of lengths) {
      for (const readOnly of [false, true]) {
        const where = `length ${length}${readOnly ? ', read-only' : ''} (seed ${seed})`
        let s: FileStorage
        try {
          s = openImage(final.subarray(0, length), { readOnly })
        } catch (err) {
          if (!(err instanceof DbdbError)) throw new Error(`${where}: ${String(err)}`, { cause: err })
          expect(['DBDB_CORRUPT', 'DBDB_NOT_A_DATABASE'], where).toContain(err.code)
          outcomes.set(err.code, (outcomes.get(err.code) ?? 0) + 1)
          continue
        }
        const txid = s.head().txid
        expect(txid, where).toBeLessThanOrEqual(newest)
        expectAtCommit(s, history, txid)
        s.close()
        outcomes.set(`txid ${txid}`, (outcomes.get(`txid ${txid}`) ?? 0) + 1)
      }
    }
    console.log(`[truncation] ${lengths.length} lengths: ${[...outcomes].map(([k, v]) => `${k} x${v}`).join(', ')}`)
  })
})

describe('slots that point somewhere impossible', () => {
  const newestSlot = decodeSlot(final.subarray(slotTxids(final).indexOf(newest) * SLOT_SIZE))!
  const older = slotTxids(final).indexOf(newest - 1)

  /** `final` with the newest slot replaced by a checksum-valid one with `changes`; both slots if `both`. */
  function crafted(changes: Partial<Parameters<typeof encodeSlot>[0]>, both = false): Buffer {
    const image = Buffer.from(final)
    const slot = encodeSlot({ ...newestSlot, ...changes })
    for (const i of both ? [0, 1] : [1 - older]) slot.copy(image, i * SLOT_SIZE)
    return image
  }

  /** A disk that remembers the largest read asked of it: nothing may read (or allocate) more than the file. */
  class MeasuredDisk extends SimDisk {
    largestRead = 0
    override readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
      this.largestRead = Math.max(this.largestRead, length)
      return super.readSync(fd, buffer, offset, length, position)
    }
  }

  const lastCommit: Commit = history.at(-1)!
  const cases: Array<[string, Partial<Parameters<typeof encodeSlot>[0]>]> = [
    ['a root inside a slot', { root: 100 }],
    ['a root in the data but not the commit', { root: reachable[1]!.address }],
    ['a commit record inside a slot', { address: 100, end: 100 + COMMIT_RECORD }],
    ['a commit record past the end', { address: final.length + 100, end: final.length + 100 + COMMIT_RECORD }],
    ['an end past the end', { end: final.length + 1 }],
    ['an end far past the end', { end: 2 ** 52 }],
    ['a commit address that is not a commit record', { address: reachable[1]!.address, end: reachable[1]!.address + COMMIT_RECORD }],
    ['a newer txid than the commit record', { txid: newest + 5 }],
    ['a huge txid', { txid: 2 ** 53 - 1 }],
  ]

  for (const [name, changes] of cases) {
    it(`${name}: the newest slot is passed over; alone, it is DBDB_CORRUPT`, () => {
      expectOpensAt(crafted(changes), newest, true)
      const disk = new MeasuredDisk()
      disk.writeFile(DB, crafted(changes, true))
      expectCode(() => openDb(disk), 'DBDB_CORRUPT')
      expectCode(() => openDb(disk, { readOnly: true }), 'DBDB_CORRUPT')
      expect(disk.largestRead).toBeLessThanOrEqual(final.length)
    })
  }

  it('length fields of 0xffffffff: coded errors, no huge reads', () => {
    const cases: Array<[string, number, number]> = [
      // [what, address of the record, txid open must land on]
      ['the newest commit record', lastCommit.head.address, newest - 1],
      ['the newest root', reachable[0]!.address, newest - 1],
      ['a leaf of the newest root', reachable[2]!.address, newest],
      ['the first record (also a leaf)', DATA_START, newest],
    ]
    for (const [what, address, txid] of cases) {
      for (const length of [0xffff_ffff, 0x7fff_ffff, 0x8000_0000, final.length]) {
        const image = Buffer.from(final)
        image.writeUInt32LE(length, address)
        const disk = new MeasuredDisk()
        disk.writeFile(DB, image)
        const s = openDb(disk)
        expect(s.head().txid, what).toBe(txid)
        expect(expectCode(() => s.read(address), 'DBDB_CORRUPT').address, what).toBe(address)
        expect(
          [...s.history()].map((h) => h.txid),
          what,
        ).toEqual(
          history
            .slice(0, txid)
            .map((c) => c.head.txid)
            .reverse(),
        )
        expect(disk.largestRead, what).toBeLessThanOrEqual(final.length)
      }
    }
  })
})
