// Fuzzing the reader: thousands of mutated copies of a small valid database
// (flipped bits, splices, truncations, random extensions, huge length fields,
// checksum-valid slots with garbage fields). Opening one and walking every
// commit's root may only throw DbdbError with a corruption-like code, never a
// RangeError or TypeError, and a read that succeeds returns bytes that were
// written. On a file that opens, a writer can commit and a reopen sees it.

import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { DbdbError, type DbdbErrorCode } from './errors.js'
import type { FileStorage } from './file-storage.js'
import { DATA_START, FORMAT_VERSION, RECORD_HEADER, SLOT_SIZE, SLOT_USED } from './format.js'
import { buildSmallDb, DB, openDb } from './sim-db.fixture.js'
import type { Head } from './storage.js'
import { prng, randomBytes, randomInt, SimDisk, testSeed } from './testing/index.js'

const ALLOWED: readonly DbdbErrorCode[] = ['DBDB_CORRUPT', 'DBDB_NOT_A_DATABASE', 'DBDB_VERSION']
const CASES = Number(process.env.DBDB_FUZZ_CASES ?? 3000)
/** The slot's checksum is its last used word. */
const SLOT_CRC_AT = SLOT_USED - 4

const { history, images, disk: built } = buildSmallDb(2)
/** Two valid starting points: checkpointed, and with the last commit reachable only by the forward scan. */
const bases = [images.at(-1)!, built.powerLoss(0, 'drop').readFile(DB)]
const recordAddresses = history.flatMap((c) => [...c.records.map((r) => r.address), c.head.address])
const written = new Set(history.flatMap((c) => c.records.map((r) => r.bytes.toString('hex'))))

type Mutation = (file: Buffer, rand: () => number) => Buffer

const pick = <T>(rand: () => number, items: readonly T[]): T => items[randomInt(rand, items.length)]!
const hugeLength = (rand: () => number, file: Buffer): number =>
  pick(rand, [0xffff_ffff, 0x7fff_ffff, 0x8000_0000, file.length, file.length - DATA_START, randomInt(rand, 0x1_0000_0000)]) >>> 0

const mutations: Record<string, Mutation> = {
  flipBits(file, rand) {
    for (let i = 1 + randomInt(rand, 8); i > 0; i--) file[randomInt(rand, file.length)]! ^= 1 << randomInt(rand, 8)
    return file
  },
  randomBytes(file, rand) {
    const at = randomInt(rand, file.length)
    randomBytes(rand, 1 + randomInt(rand, 64)).copy(file, at)
    return file
  },
  deleteRange(file, rand) {
    const at = randomInt(rand, file.length)
    return Buffer.concat([file.subarray(0, at), file.subarray(at + 1 + randomInt(rand, 200))])
  },
  insertRange(file, rand) {
    const at = randomInt(rand, file.length)
    return Buffer.concat([file.subarray(0, at), randomBytes(rand, 1 + randomInt(rand, 200)), file.subarray(at)])
  },
  copyRange(file, rand) {
    const from = randomInt(rand, file.length)
    const length = 1 + randomInt(rand, 300)
    file.copy(file, randomInt(rand, file.length), from, from + length)
    return file
  },
  truncate(file, rand) {
    return file.subarray(0, randomInt(rand, file.length))
  },
  extend(file, rand) {
    return Buffer.concat([file, randomBytes(rand, 1 + randomInt(rand, 3000))])
  },
  hugeLengthField(file, rand) {
    const at = rand() < 0.7 ? pick(rand, recordAddresses) : DATA_START + randomInt(rand, file.length - DATA_START)
    if (at + 4 <= file.length) file.writeUInt32LE(hugeLength(rand, file), at)
    return file
  },
  appendLengthBomb(file, rand) {
    const header = Buffer.alloc(RECORD_HEADER)
    header.writeUInt32LE(hugeLength(rand, file), 0)
    header[4] = 1 + randomInt(rand, 2)
    return Buffer.concat([file, header, randomBytes(rand, randomInt(rand, 100))])
  },
  /** A slot field set to garbage, its checksum made valid again: the slot is believed until checked. */
  validSlotGarbage(file, rand) {
    const at = randomInt(rand, 2) * SLOT_SIZE
    const slot = file.subarray(at, at + SLOT_SIZE)
    if (slot.length < SLOT_CRC_AT + 4) return file
    const offset = pick(rand, [8, 12, 16, 24, 28, 32, 36, 40, 44, 48, 52, 56, 64])
    const value = pick(rand, [0, 1, 2, 100, DATA_START, file.length, file.length + 1, 0xffff_ffff, randomInt(rand, 0x1_0000_0000)])
    if (offset === 8 && rand() < 0.8)
      slot.writeUInt32LE(1, offset) // keep the version mostly, to get past it
    else slot.writeUInt32LE(value, offset)
    slot.writeUInt32LE(crc32(slot.subarray(0, SLOT_CRC_AT)), SLOT_CRC_AT)
    return file
  },
  swapSlots(file) {
    if (file.length < DATA_START) return file
    const first = Buffer.from(file.subarray(0, SLOT_SIZE))
    file.copy(file, 0, SLOT_SIZE, DATA_START)
    first.copy(file, SLOT_SIZE)
    return file
  },
  zeroSlot(file, rand) {
    const at = randomInt(rand, 2) * SLOT_SIZE
    file.fill(0, Math.min(at, file.length), Math.min(at + SLOT_SIZE, file.length))
    return file
  },
}

/** A read may fail with a coded error; if it returns, the bytes are ones that were written. */
function expectWrittenOrCorrupt(read: () => Uint8Array): void {
  try {
    expect(written.has(Buffer.from(read()).toString('hex'))).toBe(true)
  } catch (err) {
    if (!(err instanceof DbdbError)) throw err
    expect(ALLOWED).toContain(err.code)
  }
}

/** Reads the head's root (which open checked), every commit's root, and every address a record was written at. */
function walk(s: FileStorage): void {
  const head = s.head()
  if (head.root !== 0) expect(written.has(Buffer.from(s.read(head.root)).toString('hex'))).toBe(true)
  for (const h of s.history()) {
    if (h.root !== 0) expectWrittenOrCorrupt(() => s.read(h.root))
  }
  for (const address of recordAddresses) expectWrittenOrCorrupt(() => s.read(address))
}

function tryCase(image: Buffer, caseNo: number): string {
  const disk = new SimDisk()
  disk.writeFile(DB, image)
  const readOnly = caseNo % 4 === 0
  let s: FileStorage | undefined
  try {
    s = openDb(disk, { readOnly })
    walk(s)
  } catch (err) {
    if (!(err instanceof DbdbError)) throw err
    expect(ALLOWED).toContain(err.code)
    s?.close()
    return err.code
  }
  // A file that opens takes a commit, and the commit is there on reopen. (Not when
  // a slot claims a newer format: a torn checkpoint can bring back a slot's old
  // sectors, and with them a checksum-valid newer-format slot made by the fuzzer.)
  // Or the writer refuses, writing nothing: the open reads only the record header
  // after the head's commit, and a writer looks past zeros there before it writes
  // over them (damage that intact commits follow may lie behind them).
  const newerFormat = [8, SLOT_SIZE + 8].some((at) => at + 4 <= image.length && image.readUInt32LE(at) > FORMAT_VERSION)
  if (!readOnly && caseNo % 3 === 0 && !newerFormat) {
    let head: Head
    try {
      head = s.lock()
    } catch (err) {
      if (!(err instanceof DbdbError)) throw err
      expect(err.code).toBe('DBDB_CORRUPT')
      expect(disk.readFile(DB).equals(image)).toBe(true)
      s.close()
      return 'opened, refused to write'
    }
    const root = s.append(Buffer.from(`case ${caseNo}`))
    s.commit(root)
    s.close()
    const again = openDb(disk.powerLoss(caseNo, 'torn'))
    expect(again.head().txid).toBe(head.txid + 1)
    expect(Buffer.from(again.read(root)).toString()).toBe(`case ${caseNo}`)
    again.close()
    return 'opened, committed'
  }
  s.close()
  return 'opened'
}

describe('fuzz', () => {
  it(`${CASES} mutated files: only coded errors, never wrong bytes`, () => {
    const seed = testSeed('fuzz')
    const rand = prng(seed)
    const names = Object.keys(mutations)
    const outcomes = new Map<string, number>()
    for (let i = 0; i < CASES; i++) {
      let image: Buffer = Buffer.from(pick(rand, bases))
      const applied: string[] = []
      for (let n = 1 + randomInt(rand, 3); n > 0 && image.length > 0; n--) {
        const name = pick(rand, names)
        applied.push(name)
        image = mutations[name]!(image, rand)
      }
      let outcome: string
      try {
        outcome = tryCase(image, i)
      } catch (err) {
        throw new Error(`case ${i} (${applied.join(', ')}; DBDB_SEED=${seed}): ${String(err)}`, { cause: err })
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    }
    console.log(`[fuzz] ${CASES} cases: ${[...outcomes].map(([k, v]) => `${k} x${v}`).join(', ')}`)
  }, 60_000)
})
