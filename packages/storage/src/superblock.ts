// The superblock: the two slots at the start of the file, each pointing at a synced
// commit. Reading and checking them, checkpoints (how often, and which slot one
// overwrites), and noticing when the slot a checkpoint keeps no longer checks out.

import { corrupt, DbdbError } from './errors.js'
import type { FileIO } from './file-io.js'
import { baseHead, type FileHead, type RecordReader } from './file-reader.js'
import { COMMIT_RECORD, DATA_START, decodeSlot, encodeSlot, RECORD_DATA, SLOT_SIZE, SLOT_USED, type Slot, sameBytes } from './format.js'

/** With durability 'none', the superblock is checkpointed (after a sync) this often. */
export const UNSYNCED_CHECKPOINT_BYTES = 16 * 1024 * 1024
/**
 * With durability 'fsync', the superblock is checkpointed this often (and at close):
 * a slot written after every commit was another page for every commit's sync to
 * write, and a slot that lags costs only a scan of at most this
 * much at the next open after a crash.
 */
export const SYNCED_CHECKPOINT_BYTES = 1024 * 1024

export class Superblock {
  readonly #io: FileIO
  readonly #fd: number
  readonly #reader: RecordReader
  /** txid held by each superblock slot (-1: not valid), to know which one is older. */
  readonly #slotTxids = [-1, -1]

  constructor(io: FileIO, fd: number, reader: RecordReader) {
    this.#io = io
    this.#fd = fd
    this.#reader = reader
  }

  /**
   * A checkpoint: points the older slot (the one with the lower txid, so the other is
   * kept) at `slot`'s commit, which must be confirmed and on disk. A write that fails
   * is let go: a missing checkpoint costs only a longer scan at the next open.
   */
  checkpoint(slot: Omit<Slot, 'version'>, file: { writeAt(buf: Uint8Array, position: number): void }): void {
    const older = this.#slotTxids[0]! <= this.#slotTxids[1]! ? 0 : 1
    const bytes = encodeSlot(slot)
    try {
      file.writeAt(bytes, older * SLOT_SIZE)
    } catch {
      return
    }
    this.#slotTxids[older] = slot.txid
  }

  /** Both superblock slots (undefined where one does not validate), and how many bytes of them the file holds. */
  read(): { slots: Array<Slot | undefined>; bytes: number } {
    const buf = Buffer.alloc(DATA_START)
    const got = this.#io.readSync(this.#fd, buf, 0, DATA_START, 0)
    const slots: Array<Slot | undefined> = []
    for (let i = 0; i < 2; i++) {
      const start = i * SLOT_SIZE
      const slot = got >= start + SLOT_USED ? decodeSlot(buf.subarray(start, start + SLOT_SIZE)) : undefined
      slots.push(slot)
      this.#slotTxids[i] = slot?.txid ?? -1
    }
    return { slots, bytes: got }
  }

  /** The commit `slot` points at, after checking that it is of file `fileId` and its commit record and root record are intact. */
  validate(slot: Slot, fileId: Buffer): FileHead {
    if (slot.txid === slot.base) return baseHead(slot.base)
    if (!sameBytes(slot.fileId, fileId)) throw corrupt(slot.address, 'superblock of another file')
    if (slot.address + COMMIT_RECORD !== slot.end) throw corrupt(slot.address, 'superblock end is wrong')
    // A slot pointing past the end of the file fails here: the read finds the file ending early.
    const record = this.#reader.readCommit(slot.address, slot.end, fileId)
    if (record.txid !== slot.txid || record.root !== slot.root) {
      throw corrupt(slot.address, 'commit record does not match the superblock')
    }
    if (record.root !== 0) this.#reader.readRecord(record.root, slot.address, RECORD_DATA)
    return Object.freeze({ txid: record.txid, root: record.root, time: record.time, address: record.address, end: slot.end })
  }

  /** The commit the newest valid slot of file `fileId` points at, if its txid exceeds `above` and it checks out. */
  newestAbove(slots: Array<Slot | undefined>, fileId: Buffer, above: number): FileHead | undefined {
    const candidates = slots
      .filter((slot): slot is Slot => slot !== undefined && sameBytes(slot.fileId, fileId) && slot.txid > above)
      .sort((a, b) => b.txid - a.txid)
    for (const slot of candidates) {
      try {
        return this.validate(slot, fileId)
      } catch (err) {
        if (!(err instanceof DbdbError) || err.code !== 'DBDB_CORRUPT') throw err
      }
    }
    return undefined
  }

  /**
   * DURABILITY: a checkpoint overwrites the slot with the lower txid and keeps the
   * other, so the kept one must be good. If it is not `head` and does not check out
   * (a damaged slot that still has a valid checksum), overwrite it instead. Run
   * whenever the slots are read: at open and when a refresh finds the file changed
   * (only then can the slots have changed).
   */
  markDamagedKept(slots: Array<Slot | undefined>, head: FileHead, fileId: Buffer): void {
    const keep = this.#slotTxids[0]! <= this.#slotTxids[1]! ? 1 : 0
    const kept = slots[keep]
    const keptIsHead =
      kept !== undefined &&
      sameBytes(kept.fileId, fileId) &&
      kept.txid === head.txid &&
      kept.address === head.address &&
      kept.root === head.root &&
      kept.end === head.end
    if (kept !== undefined && !keptIsHead) {
      try {
        this.validate(kept, fileId)
      } catch (err) {
        if (!(err instanceof DbdbError) || err.code !== 'DBDB_CORRUPT') throw err
        this.#slotTxids[keep] = -1
      }
    }
  }
}
