// FileStorage: a handle on the append-only database file. It implements the Storage
// contract and owns the commit protocol and the fsync policy, with its parts in their
// own modules: recovery on open, freshness, the writer lock's protocol, the superblock,
// the durable file, backup and verify. The protocols are described step by step in
// docs/ARCHITECTURE.md.

import type { DamageReport } from './damage.js'
import { DurableFile } from './durable-file.js'
import { corrupt, DbdbError } from './errors.js'
import { type BackupOptions, checkBackupOptions, finishedHead, writeBackup } from './file-backup.js'
import { openFile } from './file-create.js'
import { type FileIO, fdatasyncAsync, nodeFileIO, reportingReadErrors } from './file-io.js'
import { FileLock, nativeLock } from './file-lock.js'
import { type CommitOptions, checkOptions, checkTimeout, type FileStorageOptions } from './file-options.js'
import { commitChain, type FileHead, publicHead, RecordReader } from './file-reader.js'
import { type SlotReport, type StorageReport, verifyFile } from './file-verify.js'
import type { CommitRecord } from './format.js'
import {
  COMMIT_RECORD,
  COMMIT_UNSYNCED_BEFORE,
  DATA_START,
  encodeCommitPayload,
  encodeSlot,
  RECORD_COMMIT,
  RECORD_DATA,
  RECORD_HEADER,
  RECORD_MAX,
} from './format.js'
import { KnownHead } from './known-head.js'
import { recover } from './recovery.js'
import { RESERVE_TX_MAX } from './reserved-space.js'
import type { Durability, Head, Storage, StorageMeta } from './storage.js'
import { Superblock, SYNCED_CHECKPOINT_BYTES, UNSYNCED_CHECKPOINT_BYTES } from './superblock.js'
import { SyncsInFlight } from './syncs-in-flight.js'
import { TxBuffer } from './tx-buffer.js'
import { movedError, prepareToWrite } from './writer-lock.js'

export type { BackupOptions, CommitOptions, DamageReport, FileStorageOptions, SlotReport, StorageReport }

export class FileStorage implements Storage {
  readonly path: string
  /**
   * Names the file this handle has open (its device and inode, from the fstat at
   * open), the same whatever path reached it: a symbolic link, a hard link, `./a.db`.
   * Compaction puts a new file (a new identity) at the path.
   */
  readonly identity: string
  readonly durability: Durability
  readonly lockTimeoutMs: number
  readonly #fd: number
  readonly #io: FileIO
  readonly #lock: FileLock
  readonly #reader: RecordReader
  readonly #readOnlyReason: string | undefined
  #fileId: Buffer = Buffer.alloc(8)
  #meta: StorageMeta = Object.freeze({})
  /** txid of this file's starting point (0 unless written by compaction). */
  #base = 0
  /** The newest commit as this handle knows it, whether anything follows it, and whether the file was replaced. */
  readonly #known: KnownHead
  /**
   * The newest commit this handle found holding the writer lock, or made: one whose
   * writer finished, so no failure can take it back. Undefined until the first lock.
   */
  #confirmed: FileHead | undefined
  /**
   * The newest commit a superblock slot may point at: confirmed, and synced since (by
   * this handle's commit or sync()). DURABILITY: never a head merely read, which may be
   * another process's commit whose sync is still to fail.
   */
  #synced: FileHead | undefined
  /** The two superblock slots. */
  readonly #superblock: Superblock
  #closed = false
  /** The file as this handle writes it: what is on disk, the size last seen, the fence after a failure. */
  readonly #file: DurableFile
  /**
   * With commits written by commit(root, { sync: false }) and not yet synced: the last
   * commit before them, the one a failed sync falls back to. Undefined when every
   * commit this handle wrote has been synced.
   */
  #unsyncedAfter: FileHead | undefined
  /** syncAsync() calls running on the thread pool. */
  readonly #syncs = new SyncsInFlight()
  /** The open transaction's records, on their way to the file. */
  readonly #tx: TxBuffer
  /** Committed bytes since the last checkpoint (with durability 'none', since the last sync too). */
  #sinceCheckpoint = 0

  private constructor(filePath: string, fd: number, options: FileStorageOptions, readOnlyReason: string | undefined, identity: string) {
    this.path = filePath
    this.identity = identity
    this.#fd = fd
    // A read that the OS fails is DBDB_IO (cause kept) for every layer above, never a raw errno.
    this.#io = reportingReadErrors(options.io ?? nodeFileIO, filePath)
    this.#readOnlyReason = readOnlyReason
    this.durability = options.durability ?? 'fsync'
    this.lockTimeoutMs = options.lockTimeoutMs ?? 5000
    this.#reader = new RecordReader(this.#io, fd)
    this.#file = new DurableFile(filePath, this.#io, fd)
    this.#superblock = new Superblock(this.#io, fd, this.#reader)
    this.#known = new KnownHead(filePath, this.#io, fd, { reader: this.#reader, superblock: this.#superblock, file: this.#file })
    this.#tx = new TxBuffer((bytes, position) => this.#writeEarly(bytes, position))
    this.#lock = new FileLock(fd, filePath, this.#io.lockSync?.bind(this.#io))
  }

  /**
   * Called, inside the call that finds out, when this handle finds the head it last
   * reported gone from the file: a commit read between its write and its failed sync,
   * then cut off by its writer. The handle has moved back to `head` (or on, past commits
   * made since). Other transactions' records may now stand at the lost commit's
   * addresses: whatever is kept by address from there on must be dropped.
   */
  onLostCommit: ((lost: Head, head: Head) => void) | undefined = undefined

  /** Opens (and by default creates) a database file, recovering the newest intact commit. */
  static open(filePath: string, options: FileStorageOptions = {}): FileStorage {
    if (typeof filePath !== 'string' || filePath === '') throw new TypeError('path must be a non-empty string')
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
    checkOptions(options)
    const io = options.io ?? nodeFileIO
    // LOCKING: a handle that may write needs the native lock: say so now (before
    // creating anything), not at the first write. Reading needs no lock.
    if (!options.readOnly && io.lockSync === undefined) nativeLock()
    const { fd, readOnlyReason, identity } = openFile(io, filePath, options)
    const storage = new FileStorage(filePath, fd, options, readOnlyReason, identity)
    try {
      storage.#load(options.meta ?? {})
      return storage
    } catch (err) {
      io.closeSync(fd)
      throw err
    }
  }

  get meta(): StorageMeta {
    return this.#meta
  }

  get readOnly(): boolean {
    return this.#readOnlyReason !== undefined
  }

  get locked(): boolean {
    return this.#lock.held
  }

  /** True while a syncAsync() writes reserved zeros past the head: commit() refuses until it settles. */
  get writingReserve(): boolean {
    return this.#syncs.writingZeros
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * True once compaction has replaced the file at `path` with a new one. This
   * handle can still read the commits it knows, but must be reopened to see or
   * make newer ones; lock() fails with DBDB_MOVED.
   */
  get moved(): boolean {
    return this.#known.moved
  }

  head(): Head {
    this.#checkOpen()
    if (!this.#lock.held) this.#refresh()
    return publicHead(this.#known.head)
  }

  /**
   * The newest commit as this handle last found it (at its open, its last head() or
   * lock(), or its own commit), without looking at the file again as head() does.
   */
  get knownHead(): Head {
    this.#checkOpen()
    return publicHead(this.#known.head)
  }

  lock(timeoutMs = this.lockTimeoutMs): Head {
    checkTimeout('timeoutMs', timeoutMs)
    this.#checkWritable()
    if (this.#lock.held) return publicHead(this.#known.head)
    if (this.#known.moved) throw movedError(this.path)
    this.#lock.acquire(timeoutMs)
    return this.#locked()
  }

  /**
   * As lock(), but waits for another writer without blocking the event loop (polling
   * with timers), and resolves to the same head lock() returns. Rejects with
   * DBDB_LOCKED after `timeoutMs`.
   */
  async lockAsync(timeoutMs = this.lockTimeoutMs): Promise<Head> {
    checkTimeout('timeoutMs', timeoutMs)
    this.#checkWritable()
    if (this.#lock.held) return publicHead(this.#known.head)
    if (this.#known.moved) throw movedError(this.path)
    // Already held means a synchronous lock() took it during the wait: its transaction stands.
    if (!(await this.#lock.acquireAsync(timeoutMs))) return publicHead(this.#known.head)
    return this.#locked()
  }

  /** What taking the lock must do before the first append (the lock was just acquired). */
  #locked(): Head {
    try {
      // The handle may have failed or been moved while lockAsync waited.
      this.#checkWritable()
      const refresh = (): void => this.#refresh()
      prepareToWrite({
        path: this.path,
        durability: this.durability,
        io: this.#io,
        fd: this.#fd,
        reader: this.#reader,
        fileId: this.#fileId,
        file: this.#file,
        known: this.#known,
        refresh,
      })
      this.#confirmed = this.#known.head
      this.#resetBuffer()
      return publicHead(this.#known.head)
    } catch (err) {
      this.#lock.releaseQuietly()
      throw err
    }
  }

  unlock(): void {
    if (!this.#lock.held) return
    try {
      this.abort()
    } finally {
      this.#lock.releaseQuietly()
    }
  }

  append(bytes: Uint8Array): number {
    this.#checkTransaction()
    if (!(bytes instanceof Uint8Array)) throw new TypeError('append takes a Uint8Array')
    if (bytes.length > RECORD_MAX) throw new RangeError(`a record holds at most ${RECORD_MAX} bytes`)
    return this.#tx.add(RECORD_DATA, bytes)
  }

  read(address: number): Uint8Array {
    this.#checkOpen()
    const pendingEnd = this.#lock.held ? this.#tx.end : this.#known.head.end
    if (!Number.isSafeInteger(address) || address < DATA_START || address + RECORD_HEADER > pendingEnd) {
      throw corrupt(address, 'address outside the file')
    }
    if (this.#lock.held && address >= this.#tx.start) return this.#tx.read(address)
    const limit = this.#lock.held ? this.#tx.start : this.#known.head.end
    return this.#reader.readRecord(address, limit, RECORD_DATA)
  }

  commit(root: number, options: CommitOptions = {}): Head {
    this.#checkTransaction()
    if (this.#syncs.writingZeros)
      throw new DbdbError('DBDB_TRANSACTION', 'a commit cannot be written while a sync writes reserved zeros where it would go')
    const address = this.#tx.end
    if (!Number.isSafeInteger(root) || (root !== 0 && (root < DATA_START || root >= address))) {
      throw new RangeError(`root ${root} is not an address of this file`)
    }
    const txStart = this.#known.head.end
    const before = this.#known.head
    // A group commit's commit: written now, made durable by syncAsync().
    const deferred = this.durability === 'fsync' && options.sync === false
    const txCrc = this.#tx.crc()
    const record: Omit<CommitRecord, 'address'> = {
      fileId: this.#fileId,
      txid: options.txid ?? this.#known.head.txid + 1,
      root,
      prev: this.#known.head.address,
      txStart,
      time: options.time ?? Date.now(),
      txCrc,
      flags: txStart > this.#file.syncedEnd ? COMMIT_UNSYNCED_BEFORE : 0,
    }
    const payload = encodeCommitPayload(record)
    this.#tx.add(RECORD_COMMIT, payload)
    const end = address + COMMIT_RECORD
    // With durability 'none', every 16 MiB of commits is synced, inside the commit that
    // crosses the mark: if that sync fails, so does this commit, like a durable one.
    const sync = !deferred && (this.durability === 'fsync' || this.#sinceCheckpoint + (end - txStart) >= UNSYNCED_CHECKPOINT_BYTES)
    try {
      // DURABILITY: the commit record travels with the transaction's last bytes and
      // one sync covers them all; recovery accepts the commit only if every byte
      // from txStart to the record matches txCrc, so no second sync is needed.
      const reserve = this.durability === 'fsync' && end - txStart <= RESERVE_TX_MAX && this.#file.grows(end)
      this.#file.writeAt(this.#tx.bytes, this.#tx.start)
      // A group commit's zeros are written by its syncAsync, on the thread pool: up
      // to 16 MiB of them would otherwise block the event loop.
      if (reserve && deferred) this.#syncs.reserveAfter(end)
      else if (reserve) this.#file.reserveAfter(end)
      if (sync) {
        this.#io.fdatasyncSync(this.#fd)
        this.#file.syncedTo(end)
      }
    } catch (err) {
      // Commits written for a group sync that never came are built on by this one: they go too.
      const durable = this.#unsyncedAfter ?? before
      this.#fail(err, durable.end, address)
      this.#moveBackTo(durable)
      throw new DbdbError('DBDB_IO', `commit failed, the database stays at transaction ${durable.txid}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    const head: FileHead = Object.freeze({ txid: record.txid, root, time: record.time, address, end })
    this.#known.committed(head, this.#tx.bytes.subarray(-COMMIT_RECORD))
    // A deferred commit is not finished until its sync is: a failed one is cut off.
    if (!deferred) this.#confirmed = head
    this.#file.wroteTo(end)
    this.#resetBuffer()
    this.#sinceCheckpoint += end - txStart
    if (deferred) {
      this.#unsyncedAfter ??= before
    } else if (sync) {
      this.#unsyncedAfter = undefined
      this.#synced = head
    }
    // DURABILITY: a slot only ever points at a synced commit (#synced).
    if (!deferred && (this.durability === 'fsync' ? this.#sinceCheckpoint >= SYNCED_CHECKPOINT_BYTES : sync)) this.#checkpoint()
    return publicHead(this.#known.head)
  }

  abort(): void {
    if (!this.#lock.held) return
    const flushedPastCommit = this.#tx.start > this.#known.head.end
    this.#resetBuffer()
    if (flushedPastCommit && !this.#file.failed) {
      this.#file.truncate(this.#known.head.end)
      this.#known.cutTail()
    }
  }

  *history(): IterableIterator<Head> {
    this.#checkOpen()
    const head = this.head()
    yield* commitChain(this.#reader, head, this.#known.head.end, this.#fileId)
  }

  /** Current size of the file in bytes. */
  fileBytes(): number {
    this.#checkOpen()
    return this.#io.fstatSync(this.#fd).size
  }

  /**
   * Makes every commit so far durable now, whatever the durability setting, and
   * points a superblock slot at the newest (for durability 'none' and compaction).
   */
  sync(): void {
    this.#checkWritable()
    this.#syncAndCheckpoint()
  }

  /**
   * Makes every commit written so far durable with an fdatasync on libuv's thread
   * pool, so the event loop goes on meanwhile. Commits written after the call are
   * not covered. If the sync fails, the commits it was to cover are cut off, the
   * head falls back to the last synced commit, and the handle refuses further writes
   * (DBDB_IO): after a failed fsync the page cache may hold bytes that never reach
   * the disk, and a retried sync would report success for them. Needs the lock.
   * Several may be in flight (a commit written while an earlier one syncs): each
   * settles after the ones called before it, and once one has failed every later one
   * rejects too, whatever its fdatasync returned.
   */
  async syncAsync(): Promise<void> {
    this.#checkTransaction()
    const covered = this.#known.head
    // DURABILITY: outcomes are taken in call order, so that a failure's fallback
    // point (#unsyncedAfter) already counts every earlier sync that succeeded.
    const { error, settled } = await this.#syncs.run(
      (at) => this.#file.reserveAfterAsync(at),
      () => fdatasyncAsync(this.#io, this.#fd),
    )
    try {
      // An earlier write or sync failed and cut off what it covered, this sync's
      // commits too: a success now may report pages that were dropped.
      this.#file.checkWritable()
      if (error !== undefined) {
        const back = this.#unsyncedAfter ?? covered
        // LOCKING: the lock is still held (close waits for this), so nobody else
        // has appended after the commits being cut off.
        this.#fail(error, back.end)
        this.#moveBackTo(back)
        throw new DbdbError('DBDB_IO', `sync failed, the database stays at transaction ${back.txid}: ${(error as Error).message}`, {
          cause: error,
        })
      }
      // Commits written after the sync began are not covered: they wait for the next one.
      if (this.#unsyncedAfter !== undefined && this.#unsyncedAfter.txid < covered.txid) {
        this.#unsyncedAfter = covered === this.#known.head ? undefined : covered
      }
      this.#synced = this.#confirmed = covered
      if (covered.end > this.#file.syncedEnd) this.#file.syncedTo(covered.end)
      if (this.#sinceCheckpoint >= SYNCED_CHECKPOINT_BYTES) this.#checkpoint()
    } finally {
      settled()
      if (!this.#syncs.running && this.#syncs.closing) this.#closeNow()
    }
  }

  /**
   * Writes a consistent, openable copy of the newest commit to `dest` while writers
   * go on: the file is append-only, so the copy is the committed prefix of this one
   * with fresh superblock slots pointing at that commit. Written to a temporary
   * file, synced, then linked into place, so `dest` never exists half-written and an
   * existing `dest` is never replaced (DBDB_EXISTS), unless `options.replace`: then
   * the synced copy is renamed over it, and the directory synced. Returns the commit
   * copied.
   */
  backup(dest: string, options: BackupOptions = {}): Head {
    this.#checkOpen()
    checkBackupOptions(options)
    const refresh = (): FileHead => {
      this.#refresh()
      return this.#known.head
    }
    const head = this.#lock.held
      ? this.#known.head
      : finishedHead({
          lock: this.#lock,
          lockTimeoutMs: this.lockTimeoutMs,
          readOnly: this.readOnly,
          reader: this.#reader,
          fileId: this.#fileId,
          base: this.#base,
          refresh,
        })
    const slot = encodeSlot({ ...head, fileId: this.#fileId, base: this.#base, meta: this.#meta })
    writeBackup({ path: this.path, io: this.#io, fd: this.#fd, reader: this.#reader, end: head.end, slot }, dest, options)
    return publicHead(head)
  }

  /**
   * For compaction, holding the lock, just before it renames the compacted file
   * over this one: appends a MOVED record past the last commit (never part of a
   * transaction, so recovery ignores it and the next writer cuts it off if the
   * rename never happens) and syncs it, so that every handle reading this file
   * notices, looks at the path again, and reopens.
   */
  markMoved(): void {
    this.#checkTransaction()
    try {
      this.#file.writeMoved(this.#known.head.end)
    } catch (err) {
      this.#fail(err, this.#known.head.end)
      throw new DbdbError('DBDB_IO', `marking ${this.path} as replaced failed: ${(err as Error).message}`, { cause: err })
    }
  }

  /**
   * For compaction, right before its rename: whether the file at `path` is still the
   * one this handle has open (`rm`, `mv` or a restore may have put another there,
   * which the rename would destroy). True when the FileIO cannot tell (no statSync).
   */
  atPath(): boolean {
    this.#checkOpen()
    return !this.#file.replaced()
  }

  /** The file-system calls this handle makes (compaction makes its own through them). */
  get io(): FileIO {
    return this.#io
  }

  /** True once a write or sync failed: the handle refuses further writes until reopened. */
  get failed(): boolean {
    return this.#file.failed
  }

  /** After the rename that markMoved announced: this handle's file is no longer the database. */
  retire(): void {
    this.#known.retire()
    if (this.#lock.held) {
      this.#resetBuffer()
      this.#lock.releaseQuietly()
    }
  }

  /**
   * Checks the whole file: both superblock slots, and every record from the first
   * one on (each record's crc, each transaction's crc and the commit chain).
   * Reports rather than throws; `problems` lists damage, nothing else does. A read
   * the OS fails is not damage: it throws DBDB_IO.
   */
  verify(): StorageReport {
    this.#checkOpen()
    this.head()
    return verifyFile({
      io: this.#io,
      fd: this.#fd,
      reader: this.#reader,
      superblock: this.#superblock,
      fileId: this.#fileId,
      base: this.#base,
      head: this.#known.head,
      locked: this.#lock.held,
    })
  }

  close(): void {
    if (this.#closed) return
    if (this.#syncs.running) {
      // A sync is running on the thread pool with this descriptor: closing it now
      // could hand the number to another file mid-sync. Finish when it settles.
      this.#closed = true
      this.#syncs.closing = true
      return
    }
    this.#closed = true
    this.#closeNow()
  }

  #closeNow(): void {
    this.#syncs.closing = false
    try {
      if (this.#unsyncedAfter !== undefined && !this.#file.failed) {
        // DURABILITY: commits written for a group sync that never came: make them
        // durable now rather than leave acknowledged-looking bytes unsynced.
        try {
          this.#io.fdatasyncSync(this.#fd)
          this.#synced = this.#confirmed = this.#known.head
          this.#file.syncedTo(this.#known.head.end)
        } catch (err) {
          this.#fail(err, this.#unsyncedAfter.end)
          this.#moveBackTo(this.#unsyncedAfter)
        }
        this.#unsyncedAfter = undefined
      }
      if (this.#lock.held) this.unlock()
      if (this.#sinceCheckpoint > 0 && !this.#file.failed) {
        // Without the lock, as another handle may hold it: at worst the slot written
        // points at an older commit than the other one, which costs a longer scan.
        // The slot points at this handle's own synced commit, never at a head it only read.
        if (this.durability === 'fsync') this.#checkpoint()
        else this.#syncAndCheckpoint()
      }
    } finally {
      // Closing drops the lock in the kernel, also one whose release failed.
      this.#lock.dispose()
      this.#io.closeSync(this.#fd)
    }
  }

  // ---- open and recovery ----------------------------------------------------

  #load(metaForNewFile: StorageMeta): void {
    const found = recover(
      {
        path: this.path,
        io: this.#io,
        fd: this.#fd,
        reader: this.#reader,
        superblock: this.#superblock,
        headRecord: this.#known.record,
        readOnly: this.readOnly,
        lock: this.#lock,
        lockTimeoutMs: this.lockTimeoutMs,
        file: this.#file,
      },
      metaForNewFile,
    )
    this.#fileId = found.fileId
    this.#meta = found.meta
    this.#base = found.base
    this.#known.start(found)
    this.#file.syncedTo(found.syncedEnd)
  }

  /** Brings the head up to the newest commit in the file (see KnownHead.refresh), telling onLostCommit if it was gone. */
  #refresh(): void {
    const lost = this.#known.refresh()
    if (lost !== undefined) this.onLostCommit?.(publicHead(lost), publicHead(this.#known.head))
  }

  /** After commits of this handle's were cut off: `head` (the last one before them) is the head again. */
  #moveBackTo(head: FileHead): void {
    this.#known.moveBackTo(head)
    this.#unsyncedAfter = undefined
  }

  // ---- writing --------------------------------------------------------------

  /** Writes the buffered part of a large transaction early (TxBuffer's): a failure loses the transaction. */
  #writeEarly(bytes: Buffer, position: number): void {
    try {
      this.#file.writeAt(bytes, position)
    } catch (err) {
      this.#fail(err, this.#known.head.end)
      throw new DbdbError('DBDB_IO', `write failed: ${(err as Error).message}`, { cause: err })
    }
  }

  #resetBuffer(): void {
    this.#tx.reset(this.#known.head.end)
  }

  /**
   * DURABILITY: a failed write or sync: the open transaction is dropped and the
   * file cut off at `end` (see DurableFile.cutOff); the handle refuses to write again.
   */
  #fail(err: unknown, end: number, commitAt?: number): void {
    this.#resetBuffer()
    this.#file.cutOff(err, end, commitAt)
  }

  /** Points the older superblock slot at #synced: a commit that is confirmed and on disk. */
  #checkpoint(): void {
    const head = this.#synced
    this.#sinceCheckpoint = 0
    if (head === undefined) return
    this.#superblock.checkpoint({ ...head, fileId: this.#fileId, base: this.#base, meta: this.#meta }, this.#file)
  }

  /**
   * DURABILITY: a failed sync may have dropped dirty pages that a retry would never
   * write, and report success: the handle refuses to write or sync again, and no slot
   * is pointed at anything that sync was to cover.
   */
  #syncAndCheckpoint(): void {
    const confirmed = this.#confirmed
    this.#file.sync(this.#known.head.end)
    this.#synced = confirmed
    this.#checkpoint()
  }

  // ---- guards ---------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new DbdbError('DBDB_CLOSED', `${this.path} is closed`)
  }

  #checkWritable(): void {
    this.#checkOpen()
    if (this.#readOnlyReason !== undefined) {
      throw new DbdbError('DBDB_READ_ONLY', `${this.path} is open read-only (${this.#readOnlyReason})`)
    }
    this.#file.checkWritable()
    this.#lock.checkReleased()
  }

  #checkTransaction(): void {
    this.#checkWritable()
    if (!this.#lock.held) throw new DbdbError('DBDB_TRANSACTION', 'append and commit need the writer lock (call lock() first)')
  }
}
