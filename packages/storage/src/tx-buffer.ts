// The open transaction's records, buffered in memory on their way to the file: a
// commit writes what is buffered together with its commit record, and a large
// transaction writes its buffered part early to keep memory bounded.

import { crc32 } from 'node:zlib'
import { corrupt } from './errors.js'
import { DATA_START, RECORD_HEADER, writeRecordHeader } from './format.js'

/** Records are buffered in memory and reach the OS in writes of about this size. */
const WRITE_CHUNK = 4 * 1024 * 1024

export class TxBuffer {
  // Bytes for file offsets [#bufStart, #bufStart + #bufLength).
  #buf: Buffer = Buffer.alloc(0)
  #bufLength = 0
  #bufStart = DATA_START
  /** crc32 of the transaction's bytes already written to the file. */
  #txCrc = 0
  /** Writes buffered bytes early, at their file offset (it throws if the write fails: the transaction is lost). */
  readonly #writeEarly: (bytes: Buffer, position: number) => void

  constructor(writeEarly: (bytes: Buffer, position: number) => void) {
    this.#writeEarly = writeEarly
  }

  /** File offset of the first buffered byte: the transaction's bytes before it are in the file. */
  get start(): number {
    return this.#bufStart
  }

  /** File offset of the next record's address. */
  get end(): number {
    return this.#bufStart + this.#bufLength
  }

  /** The buffered bytes. */
  get bytes(): Buffer {
    return this.#buf.subarray(0, this.#bufLength)
  }

  /** crc32 of the whole transaction so far: the bytes written early, then the buffered ones. */
  crc(): number {
    return crc32(this.bytes, this.#txCrc)
  }

  /** Appends a record of `type` holding `payload`; returns its address. */
  add(type: number, payload: Uint8Array): number {
    const size = RECORD_HEADER + payload.length
    this.#reserve(size)
    const address = this.#bufStart + this.#bufLength
    writeRecordHeader(this.#buf, this.#bufLength, type, payload)
    this.#buf.set(payload, this.#bufLength + RECORD_HEADER)
    this.#bufLength += size
    return address
  }

  /** The payload of the buffered record at `address` (from start on, before end). */
  read(address: number): Buffer {
    const at = address - this.#bufStart
    const length = this.#buf.readUInt32LE(at)
    if (at + RECORD_HEADER + length > this.#bufLength) throw corrupt(address, 'length past the end')
    return Buffer.from(this.#buf.subarray(at + RECORD_HEADER, at + RECORD_HEADER + length))
  }

  /** Empties the buffer for a transaction starting at file offset `start`. */
  reset(start: number): void {
    this.#bufStart = start
    this.#bufLength = 0
    this.#txCrc = 0
    if (this.#buf.length > WRITE_CHUNK) this.#buf = Buffer.alloc(0)
  }

  #reserve(size: number): void {
    if (this.#bufLength + size <= this.#buf.length) return
    if (this.#bufLength > 0 && this.#bufLength + size > WRITE_CHUNK) this.#flush()
    if (this.#bufLength + size > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#bufLength + size, Math.min(this.#buf.length * 2 || 65536, WRITE_CHUNK)))
      this.#buf.copy(grown, 0, 0, this.#bufLength)
      this.#buf = grown
    }
  }

  /** Writes the buffered part of a large transaction early, keeping memory bounded. */
  #flush(): void {
    const chunk = this.#buf.subarray(0, this.#bufLength)
    this.#writeEarly(chunk, this.#bufStart)
    this.#txCrc = crc32(chunk, this.#txCrc)
    this.#bufStart += this.#bufLength
    this.#bufLength = 0
  }
}
