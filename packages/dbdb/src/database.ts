// The database handle: a Map-like API over one file. It composes storage, codecs
// and a tree, and owns only the transaction rules: when the writer lock is taken,
// when the tree is reloaded, and what a commit, rollback or close means. What it
// last saw of the newest commit is kept by latest-view.ts; check() and stats() walk
// the file in maintenance.ts.

import type { Codec } from '@dbdb/codec'
import type { LogicalTree, TreeFactory } from '@dbdb/logical'
import { type BackupOptions, DbdbError, type Durability, type FileStorage, type Head, isDbdbError } from '@dbdb/storage'
import { type CompactInfo, type CompactOptions, compact } from './compaction.js'
import type { Generation } from './generation.js'
import { GroupCommit, type GroupHost, MAX_QUEUED_BYTES } from './group-commit.js'
import type { KeyCodec } from './key-encoding.js'
import { LatestView } from './latest-view.js'
import { type CheckReport, checkFile, copiedBytes, type DatabaseStats, measureTree } from './maintenance.js'
import { Reader } from './reader.js'
import { Snapshot } from './snapshot.js'

export interface CommitInfo {
  /** Transaction id: grows by one with every commit. */
  readonly txid: number
  /** Time of the commit, ms since the epoch. */
  readonly time: number
  /** Number of keys after the commit. */
  readonly size: number
}

/** Compactions a single write will follow before giving up (each one is progress). */
const MAX_MOVES = 100

export interface DatabaseParts<K> {
  storage: FileStorage
  /** Opens the path again, with the same options (after compaction replaced the file). */
  reopen: () => FileStorage
  lockTimeoutMs: number
  tree: TreeFactory
  codec: Codec
  valueCodec: Codec
  keys: KeyCodec<K>
  cacheBytes: number | undefined
  /** Bound on queued async writes (default MAX_QUEUED_BYTES). */
  maxQueuedBytes?: number | undefined
}

// biome-ignore lint/suspicious/noExplicitAny: values default to any, as a Map's do: a handle holds whatever its codec stores
export class Database<K = string, V = any> extends Reader<K, V> {
  /** The newest commit as this handle sees it, and the file it reads (see latest-view.ts). */
  readonly #latestView: LatestView
  readonly #lockTimeoutMs: number
  readonly #factory: TreeFactory
  readonly #nodeCodec: Codec
  /** The open write transaction's tree, holding this handle's uncommitted changes. */
  #tx: LogicalTree | undefined
  /** How many transaction(fn) calls are running (nested ones are savepoints). */
  #depth = 0
  readonly #snapshots = new Set<Snapshot<K, V>>()
  #closed = false
  /**
   * The async write path (group commit); holds the writer lock while it has work.
   * Made at the first async write: a handle that never makes one never builds it.
   */
  #group: GroupCommit | undefined
  readonly #maxQueuedBytes: number
  /** Async writes waiting for a synchronous transaction of this handle to end. */
  #txWaiters: Array<() => void> = []

  /** @internal Use open(). */
  constructor(parts: DatabaseParts<K>) {
    super(parts.keys, parts.valueCodec)
    this.#factory = parts.tree
    this.#nodeCodec = parts.codec
    this.#lockTimeoutMs = parts.lockTimeoutMs
    this.#latestView = new LatestView(parts.storage, parts.reopen, parts.tree, parts.codec, parts.cacheBytes)
    this.#maxQueuedBytes = parts.maxQueuedBytes ?? MAX_QUEUED_BYTES
  }

  get path(): string {
    return this.#gen.storage.path
  }

  get readOnly(): boolean {
    return this.#gen.storage.readOnly
  }

  get closed(): boolean {
    return this.#closed
  }

  /** 'fsync': every commit is durable when commit() returns; 'none': at sync(), or when the OS writes it. */
  get durability(): Durability {
    return this.#gen.storage.durability
  }

  /** True while this handle has a write transaction open (and so holds the writer lock). */
  get inTransaction(): boolean {
    return this.#tx !== undefined
  }

  /** The tree and codecs this database is composed of. */
  get composition(): { tree: string; codec: string; valueCodec: string; keyEncoding: string } {
    return { tree: this.#factory.id, codec: this.#nodeCodec.id, valueCodec: this.valueCodec.id, keyEncoding: this.keyCodec.name }
  }

  /** The newest commit this handle can see (its own open transaction aside). */
  get txid(): number {
    return this.#latest().head.txid
  }

  /**
   * Stores `value` under `key`. The first write of a transaction takes the writer
   * lock (waiting up to lockTimeoutMs); the change is visible to this handle at
   * once and to others after commit(). Key and value are captured at the call.
   */
  set(key: K, value: V): this {
    // Validated before the lock is taken; copied once, by the tree when it copies
    // (the B+ tree packs them into its leaves), else here.
    const k = this.keyCodec.lookup(key)
    if (value === undefined) throw new TypeError('value must not be undefined (get() returns undefined for a missing key)')
    const codec = this.valueCodec
    const v = codec.encodeShared ? codec.encodeShared(value) : codec.encode(value)
    const tx = this.#begin()
    if (tx.copiesOnSet) tx.set(k, v)
    else tx.set(k === key ? this.keyCodec.encode(key) : k, v === value ? codec.encode(value) : v)
    return this
  }

  /**
   * set(), group-committed: resolves once the write is durable (with durability
   * 'none', once written). Writes queued while a group syncs share the next group's
   * lock, write and fdatasync, which runs off the main thread. Key and value are
   * captured at the call; a bad one rejects with TypeError and queues nothing.
   */
  setAsync(key: K, value: V): Promise<void> {
    let k: Uint8Array
    let v: Uint8Array
    try {
      this.#checkOpen()
      k = this.keyCodec.encode(key)
      if (value === undefined) throw new TypeError('value must not be undefined (get() returns undefined for a missing key)')
      v = this.valueCodec.encode(value)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#groupCommit().enqueue(
      () => {
        this.#tx!.set(k, v)
      },
      k.length + v.length,
      true,
    )
  }

  /** delete(), group-committed like setAsync(): resolves to whether the key existed, once durable. */
  deleteAsync(key: K): Promise<boolean> {
    let k: Uint8Array
    try {
      this.#checkOpen()
      k = this.keyCodec.encode(key)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#groupCommit().enqueue(() => this.#tx!.delete(k), k.length, true)
  }

  /**
   * Runs `fn` as one transaction in the next group commit and resolves to its result
   * once that group is durable. `fn` runs synchronously, in call order after every
   * async write called before it (whose changes it sees), with the writer lock held:
   * it reads and writes through this handle's ordinary methods and cannot await. If
   * it throws, only its own changes are undone and the promise rejects with its error.
   */
  transactionAsync<T>(fn: (db: this) => T): Promise<T> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError('transactionAsync() takes a function'))
    if (this.#closed) return Promise.reject(this.#closedError())
    return this.#groupCommit().enqueue(() => {
      const result = fn(this)
      if (isThenable(result)) {
        throw new DbdbError('DBDB_TRANSACTION', 'transaction functions must be synchronous: the lock cannot be held across await')
      }
      return result
    }, 0)
  }

  /** Bytes of async writes queued and not yet durable, as counted against maxQueuedBytes. */
  get queuedBytes(): number {
    return this.#group?.queuedBytes ?? 0
  }

  /** Resolves once every async write called so far has settled (durable, or rejected). */
  get flushed(): Promise<void> {
    return this.#group?.idle ?? Promise.resolve()
  }

  /** Removes `key`; true if it existed. Starts a write transaction like set(). */
  delete(key: K): boolean {
    const k = this.keyCodec.lookup(key)
    return this.#begin().delete(k)
  }

  /** Makes every change since the last commit durable and atomic, and releases the lock. */
  commit(): CommitInfo | undefined {
    this.#checkOpen()
    if (this.#depth > 0) throw new DbdbError('DBDB_TRANSACTION', 'commit() inside transaction(fn): return from fn to commit')
    return this.#commit()
  }

  /** Drops every change since the last commit and releases the lock. */
  rollback(): void {
    this.#checkOpen()
    if (this.#depth > 0) throw new DbdbError('DBDB_TRANSACTION', 'rollback() inside transaction(fn): throw from fn to roll back')
    this.#rollback()
  }

  /**
   * Runs `fn` as one transaction: the writer lock is taken before it starts (so its
   * reads see the newest commit and a read-modify-write loses no other update),
   * it commits when `fn` returns and rolls back when it throws. Nested calls are
   * savepoints: an inner throw undoes only the inner changes. `fn` must be synchronous.
   */
  transaction<T>(fn: (db: this) => T): T {
    if (typeof fn !== 'function') throw new TypeError('transaction() takes a function')
    const tree = this.#begin()
    const outermost = this.#depth === 0
    const savepoint = tree.savepoint()
    this.#depth++
    let result: T
    try {
      result = fn(this)
      if (isThenable(result)) {
        throw new DbdbError('DBDB_TRANSACTION', 'transaction functions must be synchronous: the lock cannot be held across await')
      }
    } catch (err) {
      if (this.#closed) throw err
      this.#depth--
      if (this.#tx !== undefined) {
        if (outermost) this.#rollback()
        else this.#tx.rollbackTo(savepoint)
      }
      throw err
    }
    // fn closed the handle: its writes were dropped with the transaction, as at any
    // close with uncommitted writes, and returning would claim they were committed.
    if (this.#closed) throw new DbdbError('DBDB_CLOSED', `${this.path} was closed inside transaction(fn); nothing was committed`)
    this.#depth--
    if (outermost) this.#commit()
    return result
  }

  /** A read-only view of the newest commit; it sees that commit until closed. */
  snapshot(): Snapshot<K, V> {
    const { head } = this.#latest()
    return this.#viewOf(head)
  }

  /** Commits still in the file, newest first (at most `limit` of them); each costs one node read for its size. */
  history(options: { limit?: number } = {}): CommitInfo[] {
    if (typeof options !== 'object' || options === null) throw new TypeError('history() takes an options object')
    const limit = options.limit ?? Infinity
    if (typeof limit !== 'number') throw new TypeError(`history({ limit }) takes a number, not ${typeof limit}`)
    if (!(limit >= 0) || (limit !== Infinity && !Number.isInteger(limit)))
      throw new RangeError(`history({ limit }) takes a whole number >= 0 or Infinity, not ${limit}`)
    const newest = this.#latest().head.txid
    const out: CommitInfo[] = []
    const { storage, context } = this.#gen
    for (const head of storage.history()) {
      if (out.length >= limit) break
      // A group written but not yet synced is not this handle's to show.
      if (head.txid > newest) continue
      out.push({ txid: head.txid, time: head.time, size: this.#factory.open(context, head.root).size })
    }
    return out
  }

  /** A read-only view of the past commit `txid` (see history()). */
  at(txid: number): Snapshot<K, V> {
    if (typeof txid !== 'number') throw new TypeError(`at() takes a transaction id (a number), not ${typeof txid}`)
    if (!Number.isSafeInteger(txid) || txid < 0) throw new RangeError(`at() takes a transaction id >= 0, a whole number, not ${txid}`)
    this.#checkOpen()
    this.#latest()
    if (txid === 0) return this.#viewOf({ txid: 0, root: 0, time: 0, address: 0 })
    for (const head of this.#gen.storage.history()) {
      if (head.txid === txid) return this.#viewOf(head)
      if (head.txid < txid) break
    }
    throw new DbdbError('DBDB_NO_SUCH_COMMIT', `transaction ${txid} is not in the history of ${this.path}`)
  }

  /**
   * Rewrites the live data of the newest commit (and, with keepHistory, the commits
   * before it) into a new file, packed, and swaps it in atomically. Other handles and
   * processes go on reading and writing throughout and notice the new file by
   * themselves; writers wait only for the final catch-up. Snapshots taken before keep
   * their data. A compaction killed at any point leaves the database as it was; one
   * that fails throws a DbdbError (DBDB_IO, DBDB_LOCKED, DBDB_EXISTS when something
   * else is at NAME.compacting, DBDB_MOVED when the file at the path is no longer this
   * handle's) with both writer locks released and the database unchanged, except
   * after the swap: see ARCHITECTURE.md, "Compaction protocol".
   */
  compact(options: CompactOptions = {}): CompactInfo {
    this.#checkOpen()
    if (this.#tx !== undefined || this.#asyncActive)
      throw new DbdbError('DBDB_TRANSACTION', 'commit or roll back (and await async writes) before compact()')
    if (this.readOnly) throw new DbdbError('DBDB_READ_ONLY', `${this.path} is open read-only`)
    this.#latest()
    for (let moves = 0; ; moves++) {
      let info: CompactInfo
      try {
        info = compact(this.#gen, this.#factory, this.#nodeCodec, this.#lockTimeoutMs, options)
      } catch (err) {
        // Another compaction replaced the file first (DBDB_MOVED): follow it and compact
        // that one. Or this one failed after its swap (the directory sync): the
        // compacted file is the database now, and this handle moves on to it like any other.
        if (!this.#gen.storage.moved) throw err
        this.#latestView.movedByCompaction()
        if (isDbdbError(err, 'DBDB_MOVED') && moves < MAX_MOVES) continue
        throw err
      }
      this.#latestView.movedByCompaction()
      return info
    }
  }

  /**
   * Makes every commit so far durable (an fdatasync), for handles opened with
   * durability 'none' that want a point of no loss, as LMDB's env.sync(). With
   * 'fsync' every commit is durable already and this only syncs again.
   */
  sync(): void {
    this.#checkOpen()
    if (this.readOnly) throw new DbdbError('DBDB_READ_ONLY', `${this.path} is open read-only`)
    this.#gen.storage.sync()
  }

  /**
   * Writes a consistent copy of the newest commit to `dest` while writers go on; the
   * copy opens like any database. `dest` must not exist (DBDB_EXISTS), unless
   * `options.replace`: then an existing file there is replaced crash-safely (the copy
   * is written and synced beside it, then renamed over it). Returns what was copied.
   */
  backup(dest: string, options: BackupOptions = {}): { txid: number; bytes: number } {
    if (typeof dest !== 'string' || dest === '') throw new TypeError('backup() takes a destination path')
    this.#latest()
    const head = this.#gen.storage.backup(dest, options)
    return { txid: head.txid, bytes: copiedBytes(dest) }
  }

  /** Size and shape: keys, file bytes, bytes of the records the newest tree uses, height, txid. */
  stats(): DatabaseStats {
    const { head } = this.#latest()
    return { ...measureTree(this.#gen, this.#factory, head), ...this.composition }
  }

  /**
   * Verifies the file and the newest commit's tree: both superblock slots, every
   * record's checksum and the commit chain, then every node and value reachable
   * from the root, read from the file (not the cache), and the tree's invariants.
   * Reports the damage it found rather than throwing; a read the OS fails says
   * nothing about the bytes, and throws DBDB_IO.
   */
  check(): CheckReport {
    this.#checkOpen()
    this.#latest()
    return checkFile(this.#gen, this.#factory, this.valueCodec)
  }

  /** Rolls back anything uncommitted, closes every snapshot, and closes the file. */
  close(): void {
    if (this.#closed) return
    try {
      this.#group?.close()
      this.#depth = 0
      this.#tx = undefined
      this.#wakeTxWaiters()
      for (const s of [...this.#snapshots]) s.close()
      this.#gen.release()
    } finally {
      this.#closed = true
    }
  }

  [Symbol.dispose](): void {
    this.close()
  }

  protected readTree(): LogicalTree {
    return this.#tx ?? this.#latest().tree
  }

  // ---- internals ------------------------------------------------------------

  /** The newest commit's tree; reloaded only when another commit has happened. */
  #latest(): { head: Head; tree: LogicalTree } {
    this.#checkOpen()
    // While the async path holds the lock, the file's head may be a group written but
    // not yet synced: reads see the last group that is durable (published).
    const latest = this.#latestView
    if (!latest.stale || (this.#asyncActive && this.#tx === undefined && this.#gen.storage.locked)) return latest.view
    return latest.refresh()
  }

  /** The file as this handle has it open; replaced when compaction swaps the file. */
  get #gen(): Generation {
    return this.#latestView.gen
  }

  /**
   * The open write transaction's tree, starting one if needed. LOCKING: the tree is
   * rebuilt from the head returned by lock(), never from what was read before it,
   * so a stale handle cannot overwrite another writer's commit.
   */
  #begin(): LogicalTree {
    this.#checkOpen()
    if (this.#tx !== undefined) return this.#tx
    if (this.#asyncActive) {
      throw new DbdbError(
        'DBDB_TRANSACTION',
        'async writes are in progress on this handle: await them (db.flushed) before a synchronous write',
      )
    }
    let head: Head | undefined
    // Each DBDB_MOVED means a compaction finished: follow it to the new file. Several
    // may finish while this writer waits for the lock; each makes progress.
    for (let moves = 0; head === undefined; moves++) {
      try {
        head = this.#gen.storage.lock()
      } catch (err) {
        if (!isDbdbError(err, 'DBDB_MOVED') || moves === MAX_MOVES) throw err
        this.#latestView.moveOn()
      }
    }
    this.#tx = this.#factory.open(this.#gen.context, head.root)
    return this.#tx
  }

  #commit(): CommitInfo | undefined {
    const tx = this.#tx
    if (tx === undefined) return undefined
    const { storage, context } = this.#gen
    try {
      if (!tx.dirty) return undefined
      let head: Head
      try {
        head = storage.commit(tx.commit())
      } catch (err) {
        // The commit walk cached nodes under addresses that this failed transaction
        // never made durable; another writer may yet use those addresses.
        context.cache.clear()
        throw err
      }
      this.#latestView.committed(head, tx)
      return { txid: head.txid, time: head.time, size: tx.size }
    } finally {
      // Committed or failed, the transaction is over; a failed commit is rolled back.
      this.#tx = undefined
      storage.unlock()
      this.#wakeTxWaiters()
    }
  }

  #rollback(): void {
    this.#tx = undefined
    this.#gen.storage.unlock()
    this.#wakeTxWaiters()
  }

  #wakeTxWaiters(): void {
    const waiters = this.#txWaiters
    this.#txWaiters = []
    for (const wake of waiters) wake()
  }

  /** The async write path, made at its first use. */
  #groupCommit(): GroupCommit {
    this.#group ??= new GroupCommit(this.#groupHost(), this.#maxQueuedBytes)
    return this.#group
  }

  /** True while async writes are queued, applied or syncing (the lock is then theirs). */
  get #asyncActive(): boolean {
    return this.#group?.active ?? false
  }

  /** What the async write path may do to this handle (see group-commit.ts). */
  #groupHost(): GroupHost {
    return {
      begin: async () => {
        // A synchronous transaction of this handle holds the lock: queue behind it.
        while (this.#tx !== undefined) await new Promise<void>((wake) => this.#txWaiters.push(wake))
        for (let moves = 0; ; moves++) {
          this.#checkOpen()
          try {
            const head = await this.#gen.storage.lockAsync(this.#lockTimeoutMs)
            return this.#factory.open(this.#gen.context, head.root)
          } catch (err) {
            if (!isDbdbError(err, 'DBDB_MOVED') || moves === MAX_MOVES) throw err
            this.#latestView.moveOn()
          }
        }
      },
      apply: (tree, fn) => {
        this.#tx = tree
        this.#depth = 1
        try {
          return fn()
        } finally {
          this.#tx = undefined
          this.#depth = 0
        }
      },
      write: (tree) => {
        const { storage, context } = this.#gen
        if (!tree.dirty) return { head: storage.knownHead, next: tree, written: false }
        let head: Head
        try {
          head = storage.commit(tree.commit(), { sync: false })
        } catch (err) {
          context.cache.clear()
          throw err
        }
        return { head, next: this.#factory.open(context, head.root), written: true }
      },
      sync: () => (this.durability === 'fsync' ? this.#gen.storage.syncAsync() : Promise.resolve()),
      publish: (head, tree) => {
        this.#latestView.committed(head, tree)
      },
      end: () => this.#gen.storage.unlock(),
      abandon: () => {
        // Nodes were cached under addresses of commits that were cut off.
        this.#gen.context.cache.clear()
        this.#gen.storage.unlock()
      },
    }
  }

  #viewOf(head: Head): Snapshot<K, V> {
    const gen = this.#gen.retain()
    const tree = this.#factory.open(gen.context, head.root)
    const since = gen.lostCommits
    // A read looks at the file as often as the handle's own reads do (freshness.ts),
    // so that a snapshot of a commit found lost stops reading before its addresses
    // are read as another transaction's records.
    const lost = (): boolean => {
      if (gen === this.#gen) {
        try {
          this.#latest()
        } catch {
          // Only a look on the snapshot's behalf: its own records are read from its file.
        }
      }
      return gen.lostCommits !== since && gen.isLost(head, since)
    }
    const snap = new Snapshot<K, V>(
      this.keyCodec,
      this.valueCodec,
      tree,
      head.txid,
      head.time,
      (s) => {
        this.#snapshots.delete(s)
        gen.release()
      },
      lost,
    )
    this.#snapshots.add(snap)
    return snap
  }

  #checkOpen(): void {
    if (this.#closed) throw this.#closedError()
  }

  #closedError(): DbdbError {
    return new DbdbError('DBDB_CLOSED', `${this.path} is closed`)
  }
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
