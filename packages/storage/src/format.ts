// The on-disk format, byte by byte (docs/ARCHITECTURE.md describes it in prose).
// Everything is little-endian. u64 fields hold integers below 2^53.

import { crc32 } from 'node:zlib'
import { corrupt, DbdbError } from './errors.js'
import type { Head, StorageMeta } from './storage.js'

/** 0x89 'D' 'B' 'D' 'B' '\r' '\n' 0x1a: a high byte and line endings catch text-mode mangling (as PNG's). */
export const MAGIC = Uint8Array.of(0x89, 0x44, 0x42, 0x44, 0x42, 0x0d, 0x0a, 0x1a)
export const FORMAT_VERSION = 1
export const SLOT_SIZE = 4096
export const SLOT_COUNT = 2
/** Records start after the two superblock slots. */
export const DATA_START = SLOT_SIZE * SLOT_COUNT

const SLOT_HEADER = 76
export const META_MAX = 1024
const SLOT_CRC_AT = SLOT_HEADER + META_MAX
/** Bytes of a slot that carry anything (the rest of the 4 KiB is zero). */
export const SLOT_USED = SLOT_CRC_AT + 4

/** Record header: u32 payload length, u8 type, u32 crc32 over (length, type, payload). */
export const RECORD_HEADER = 9
export const RECORD_DATA = 1
export const RECORD_COMMIT = 2
/**
 * Appended (outside any transaction) by compaction just before it renames the
 * compacted file over this one: a hint that tells handles to look at the path again.
 */
export const RECORD_MOVED = 3
/** Largest payload a record may claim; anything above is corruption, not a reason to allocate. */
export const RECORD_MAX = 0x7fff_ffff
export const COMMIT_PAYLOAD = 56
export const COMMIT_RECORD = RECORD_HEADER + COMMIT_PAYLOAD
/**
 * Commit flag: when its writer wrote this transaction, the bytes before it (the
 * previous commits) were not known to be on disk: its writer had not synced them
 * (durability 'none'). Only then may a crash leave this commit intact and an earlier
 * one torn, so only then may recovery treat damage before it as a torn tail.
 */
export const COMMIT_UNSYNCED_BEFORE = 1

export function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value >>> 0, offset)
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), offset + 4)
}

/** Returns -1 for a value that cannot be an integer below 2^53 (only a corrupt file has one). */
export function readU64(buf: Buffer, offset: number): number {
  const hi = buf.readUInt32LE(offset + 4)
  if (hi >= 0x20_0000) return -1
  return hi * 0x1_0000_0000 + buf.readUInt32LE(offset)
}

// ---- superblock slots -------------------------------------------------------

export interface Slot extends Head {
  readonly version: number
  readonly fileId: Buffer
  /**
   * The txid the file starts from: 0 for a new database, the txid before the first
   * kept commit for a file written by compaction (txids continue across it).
   */
  readonly base: number
  /** End of the committed data: the first byte after the newest commit record. */
  readonly end: number
  readonly meta: StorageMeta
}

export function encodeSlot(slot: Omit<Slot, 'version'>): Buffer {
  const buf = Buffer.alloc(SLOT_SIZE)
  const meta = Buffer.from(JSON.stringify(slot.meta), 'utf8')
  if (meta.length > META_MAX) throw new RangeError(`storage meta is ${meta.length} bytes; at most ${META_MAX}`)
  buf.set(MAGIC, 0)
  buf.writeUInt32LE(FORMAT_VERSION, 8)
  buf.writeUInt32LE(SLOT_SIZE, 12)
  slot.fileId.copy(buf, 16, 0, 8)
  writeU64(buf, 24, slot.txid)
  writeU64(buf, 32, slot.root)
  writeU64(buf, 40, slot.address)
  writeU64(buf, 48, slot.end)
  buf.writeDoubleLE(slot.time, 56)
  writeU64(buf, 64, slot.base)
  buf.writeUInt32LE(meta.length, 72)
  meta.copy(buf, SLOT_HEADER)
  buf.writeUInt32LE(crc32(buf.subarray(0, SLOT_CRC_AT)), SLOT_CRC_AT)
  return buf
}

// Reading a slot or commit record happens at every open, in a new process, where each
// Node Buffer helper runs for the first time and is compiled then, each at a cost:
// the read side uses typed-array built-ins and loops over a few bytes instead of
// Buffer.compare, equals, Buffer.from and readDoubleLE.

export function hasMagic(buf: Buffer): boolean {
  return buf.length >= MAGIC.length && sameBytes(buf.subarray(0, MAGIC.length), MAGIC)
}

/** Whether `a` and `b` hold the same bytes (a file id, a magic number: a few bytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** A copy of buf[start, end) as a Buffer (TypedArray slice copies; Buffer#slice would share). */
function copyOf(buf: Buffer, start: number, end: number): Buffer {
  return Uint8Array.prototype.slice.call(buf, start, end) as Buffer
}

/** The little-endian float64 at `offset`. */
function readF64(buf: Buffer, offset: number): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getFloat64(offset, true)
}

/**
 * Parses one slot. Returns undefined when it does not validate (torn, flipped,
 * zeroed); throws DBDB_VERSION when it is intact but from a newer format.
 */
export function decodeSlot(buf: Buffer): Slot | undefined {
  if (buf.length < SLOT_USED || !hasMagic(buf)) return undefined
  if (buf.readUInt32LE(SLOT_CRC_AT) !== crc32(buf.subarray(0, SLOT_CRC_AT))) return undefined
  const version = buf.readUInt32LE(8)
  if (version > FORMAT_VERSION) {
    throw new DbdbError('DBDB_VERSION', `the file has format version ${version}; this DBDB reads up to ${FORMAT_VERSION}`)
  }
  if (version < 1 || buf.readUInt32LE(12) !== SLOT_SIZE) return undefined
  const metaLength = buf.readUInt32LE(72)
  if (metaLength > META_MAX) return undefined
  let meta: StorageMeta
  try {
    meta = parseMeta(buf.subarray(SLOT_HEADER, SLOT_HEADER + metaLength).toString('utf8'))
  } catch {
    return undefined
  }
  const slot = {
    version,
    fileId: copyOf(buf, 16, 24),
    txid: readU64(buf, 24),
    root: readU64(buf, 32),
    address: readU64(buf, 40),
    end: readU64(buf, 48),
    time: readF64(buf, 56),
    base: readU64(buf, 64),
    meta,
  }
  if (slot.txid < 0 || slot.base < 0 || slot.txid < slot.base || slot.root < 0 || slot.address < 0 || slot.end < DATA_START)
    return undefined
  if (slot.txid === slot.base ? slot.root !== 0 || slot.address !== 0 || slot.end !== DATA_START : slot.address < DATA_START) {
    return undefined
  }
  return slot
}

function parseMeta(text: string): StorageMeta {
  const parsed: unknown = JSON.parse(text)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('meta is not an object')
  const meta: Record<string, string> = Object.create(null)
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw new TypeError('meta values are strings')
    meta[k] = v
  }
  return Object.freeze(meta)
}

// ---- records ----------------------------------------------------------------

/** Writes a record header for `payload` into `buf` at `offset`. */
export function writeRecordHeader(buf: Buffer, offset: number, type: number, payload: Uint8Array): void {
  buf.writeUInt32LE(payload.length, offset)
  buf[offset + 4] = type
  const crc = crc32(payload, crc32(buf.subarray(offset, offset + 5)))
  buf.writeUInt32LE(crc, offset + 5)
}

/** Checks a whole record (header + payload) held in `rec`; returns its payload. */
export function checkRecord(rec: Buffer, address: number): Buffer {
  const length = rec.readUInt32LE(0)
  if (rec.length !== RECORD_HEADER + length) throw corrupt(address, 'length does not match')
  const payload = rec.subarray(RECORD_HEADER)
  const crc = crc32(payload, crc32(rec.subarray(0, 5)))
  if (crc !== rec.readUInt32LE(5)) throw corrupt(address, 'checksum mismatch')
  return payload
}

export interface CommitRecord extends Head {
  readonly fileId: Buffer
  readonly prev: number
  readonly txStart: number
  readonly txCrc: number
  /** COMMIT_* flag bits. */
  readonly flags: number
}

export function encodeCommitPayload(c: Omit<CommitRecord, 'address'>): Buffer {
  const buf = Buffer.alloc(COMMIT_PAYLOAD)
  c.fileId.copy(buf, 0, 0, 8)
  writeU64(buf, 8, c.txid)
  writeU64(buf, 16, c.root)
  writeU64(buf, 24, c.prev)
  writeU64(buf, 32, c.txStart)
  buf.writeDoubleLE(c.time, 40)
  buf.writeUInt32LE(c.txCrc >>> 0, 48)
  buf.writeUInt32LE(c.flags >>> 0, 52)
  return buf
}

export function decodeCommitPayload(payload: Buffer, address: number): CommitRecord {
  if (payload.length !== COMMIT_PAYLOAD) throw corrupt(address, 'commit record has the wrong size')
  const c = {
    fileId: copyOf(payload, 0, 8),
    txid: readU64(payload, 8),
    root: readU64(payload, 16),
    prev: readU64(payload, 24),
    txStart: readU64(payload, 32),
    time: readF64(payload, 40),
    txCrc: payload.readUInt32LE(48),
    flags: payload.readUInt32LE(52),
    address,
  }
  if (c.txid < 1 || c.root < 0 || c.prev < 0 || c.txStart < DATA_START || c.txStart > address) {
    throw corrupt(address, 'commit record fields out of range')
  }
  if (c.root !== 0 && (c.root < DATA_START || c.root >= address)) {
    throw corrupt(address, 'commit record root out of range')
  }
  return c
}
