// MemoryStorage: the Storage contract over an in-memory array of records, for
// tree tests and for throwaway databases. Same addresses, same rules (a record
// is readable once appended, a commit is atomic), no durability.

import { corrupt, DbdbError } from './errors.js'
import { COMMIT_RECORD, DATA_START, RECORD_HEADER } from './format.js'
import type { Head, Storage, StorageMeta } from './storage.js'

export class MemoryStorage implements Storage {
  readonly readOnly = false
  readonly #meta: StorageMeta
  readonly #records = new Map<number, Uint8Array>()
  #commits: Head[] = []
  // Addresses as a file would give them: records after the superblock, each with its header.
  #end = DATA_START
  #committedEnd = DATA_START
  #locked = false
  #closed = false
  /** Counters that tests use to check the write path (e.g. O(height) records per commit). */
  readonly stats = { appends: 0, appendedBytes: 0, reads: 0, commits: 0 }

  constructor(meta: StorageMeta = {}) {
    this.#meta = Object.freeze({ ...meta })
  }

  get meta(): StorageMeta {
    return this.#meta
  }

  get locked(): boolean {
    return this.#locked
  }

  head(): Head {
    this.#checkOpen()
    return this.#commits.at(-1) ?? { txid: 0, root: 0, time: 0, address: 0 }
  }

  lock(): Head {
    this.#checkOpen()
    this.#locked = true
    return this.head()
  }

  unlock(): void {
    this.abort()
    this.#locked = false
  }

  append(bytes: Uint8Array): number {
    this.#checkLocked()
    const address = this.#end
    this.#records.set(address, Uint8Array.from(bytes))
    this.#end += RECORD_HEADER + bytes.length
    this.stats.appends++
    this.stats.appendedBytes += bytes.length
    return address
  }

  read(address: number): Uint8Array {
    this.#checkOpen()
    const bytes = this.#records.get(address)
    if (bytes === undefined) throw corrupt(address, 'no record at this address')
    this.stats.reads++
    return Uint8Array.from(bytes)
  }

  commit(root: number): Head {
    this.#checkLocked()
    if (root !== 0 && !this.#records.has(root)) throw new RangeError(`root ${root} is not an address of this storage`)
    const head = { txid: this.head().txid + 1, root, time: Date.now(), address: this.#end }
    this.#end += COMMIT_RECORD
    this.#committedEnd = this.#end
    this.#commits.push(head)
    this.stats.commits++
    return head
  }

  abort(): void {
    for (const address of this.#records.keys()) {
      if (address >= this.#committedEnd) this.#records.delete(address)
    }
    this.#end = this.#committedEnd
  }

  *history(): IterableIterator<Head> {
    for (let i = this.#commits.length - 1; i >= 0; i--) yield this.#commits[i]!
  }

  close(): void {
    this.#closed = true
  }

  #checkOpen(): void {
    if (this.#closed) throw new DbdbError('DBDB_CLOSED', 'storage is closed')
  }

  #checkLocked(): void {
    this.#checkOpen()
    if (!this.#locked) throw new DbdbError('DBDB_TRANSACTION', 'append and commit need the writer lock (call lock() first)')
  }
}
