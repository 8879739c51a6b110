// Group commit: the asynchronous write path. Async transactions queue up; the ones
// queued while a group is being synced form the next group, which takes the writer
// lock once, is written with one write and made durable with one fdatasync on
// libuv's thread pool, so the event loop serves reads and timers while the disk
// works. Each promise resolves once a sync that covers its transaction has finished.
//
//   queued ──apply (each fn in call order, own savepoint)──> applied
//   applied ──write (one commit record, no sync)──> written ──fdatasync──> resolved
//
// The next group's functions run while the previous group syncs; it is written as
// soon as that sync has finished, so at most one sync is in flight and every group
// waits for exactly one.

import type { LogicalTree } from '@dbdb/logical'
import { DbdbError, type Head } from '@dbdb/storage'

/** What the database handle lends the write path. */
export interface GroupHost {
  /** Takes the writer lock without blocking the loop, and opens a tree on the newest commit. */
  begin(): Promise<LogicalTree>
  /** Runs `fn` with `tree` as the handle's open transaction (its reads and writes go there). */
  apply<T>(tree: LogicalTree, fn: () => T): T
  /**
   * Writes the tree's changes as one commit without syncing it; returns the new head
   * and a tree on it to build the next group in (`written` false: nothing changed).
   */
  write(tree: LogicalTree): { head: Head; next: LogicalTree; written: boolean }
  /** fdatasync on the thread pool; rejects with DBDB_IO (and the handle is fenced) if it fails. */
  sync(): Promise<void>
  /** A group is durable: make `tree` (committed at `head`) what reads of the handle see. */
  publish(head: Head, tree: LogicalTree): void
  /** The queue is empty and nothing is in flight: release the lock. */
  end(): void
  /** A write or sync failed: the lock is released; forget the transaction's state. */
  abandon(): void
}

interface Pending {
  readonly fn: () => unknown
  /** One tree edit, which leaves the tree as it was if it throws: it needs no savepoint. */
  readonly single: boolean
  readonly cost: number
  readonly resolve: (value: unknown) => void
  readonly reject: (err: unknown) => void
  result?: unknown
}

/** Default bound on the queued async writes of a handle (open()'s maxQueuedBytes). */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024

/** A queued write counts its key and value bytes plus this much for its closure and promise. */
export const PENDING_OVERHEAD = 256

export class GroupCommit {
  readonly #host: GroupHost
  readonly #maxQueuedBytes: number
  /** Called but not yet applied, in call order. */
  #queue: Pending[] = []
  /** Applied to #tree, waiting for the group in flight to finish syncing. */
  #applied: Pending[] = []
  /** The open tree the next group is built in, while the lock is held. */
  #tree: LogicalTree | undefined
  /** The tree and head of the group being synced. */
  #syncing: { group: Pending[]; head: Head; tree: LogicalTree } | undefined
  #queuedBytes = 0
  /** The DBDB_BUSY error refused calls share while the queue stays full. */
  #busy: DbdbError | undefined
  #running = false
  #applyScheduled = false
  #closed = false
  /** Settles when the write path is idle again (the lock released). */
  #idle: Promise<void> = Promise.resolve()
  #idleResolve: (() => void) | undefined

  constructor(host: GroupHost, maxQueuedBytes: number) {
    this.#host = host
    this.#maxQueuedBytes = maxQueuedBytes
  }

  /** True while async writes are queued, applied or syncing (the lock is then this path's). */
  get active(): boolean {
    return this.#running
  }

  /** Resolves when every async write queued so far has settled. */
  get idle(): Promise<void> {
    return this.#idle
  }

  /** Bytes of the writes queued and not yet durable, as counted against maxQueuedBytes. */
  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /**
   * Queues `fn` to run in the next group; the promise resolves to its result once
   * that group is durable. Past maxQueuedBytes it rejects at once with DBDB_BUSY.
   */
  enqueue<T>(fn: () => T, bytes: number, single = false): Promise<T> {
    if (this.#closed) return Promise.reject(new DbdbError('DBDB_CLOSED', 'the database is closed'))
    const cost = bytes + PENDING_OVERHEAD
    if (this.#queuedBytes + cost > this.#maxQueuedBytes && this.#queuedBytes > 0) {
      // One error for every call refused while the queue stays full: a producer that
      // never awaits must not make memory grow with a stack trace per refused call.
      this.#busy ??= new DbdbError(
        'DBDB_BUSY',
        `the write queue is full (maxQueuedBytes ${this.#maxQueuedBytes}): await earlier writes before queueing more`,
      )
      return Promise.reject(this.#busy)
    }
    this.#busy = undefined
    return new Promise<T>((resolve, reject) => {
      this.#queuedBytes += cost
      this.#queue.push({ fn, single, cost, resolve: resolve as (value: unknown) => void, reject })
      if (!this.#running) this.#start()
      else if (this.#tree !== undefined) this.#scheduleApply()
    })
  }

  /**
   * The handle closes: writes not yet written are rejected with DBDB_CLOSED (their
   * changes dropped, as at any close); a group already written finishes its sync
   * and settles as that sync does.
   */
  close(): void {
    this.#closed = true
    const dropped = [...this.#applied, ...this.#queue]
    this.#applied = []
    this.#queue = []
    this.#rejectAll(dropped, new DbdbError('DBDB_CLOSED', 'the database was closed before this write was committed'))
    if (this.#syncing !== undefined) return
    if (this.#tree !== undefined) {
      this.#tree = undefined
      this.#end()
    }
    if (this.#running) this.#finish()
  }

  #start(): void {
    this.#running = true
    this.#idle = new Promise((resolve) => (this.#idleResolve = resolve))
    this.#host.begin().then(
      (tree) => {
        if (this.#closed) {
          this.#end()
          this.#finish()
          return
        }
        this.#tree = tree
        this.#applyQueued()
        this.#flush()
      },
      (err: unknown) => {
        const waiting = this.#queue
        this.#queue = []
        this.#rejectAll(waiting, err)
        this.#finish()
      },
    )
  }

  #scheduleApply(): void {
    if (this.#applyScheduled) return
    this.#applyScheduled = true
    // After the caller's synchronous code: every call of this turn joins one batch.
    queueMicrotask(() => {
      this.#applyScheduled = false
      if (this.#tree === undefined) return
      this.#applyQueued()
      if (this.#syncing === undefined) this.#flush()
    })
  }

  /** Runs each queued function in call order, each with its own savepoint. */
  #applyQueued(): void {
    const tree = this.#tree!
    const batch = this.#queue
    this.#queue = []
    for (const p of batch) {
      // A savepoint freezes the tree's open nodes (the next edit copies them again), so
      // it is taken only for transaction functions, which may change many keys.
      const savepoint = p.single ? undefined : tree.savepoint()
      try {
        p.result = this.#host.apply(tree, p.fn)
        this.#applied.push(p)
      } catch (err) {
        // Only this transaction's changes are undone; the rest of the group commits.
        if (savepoint !== undefined) tree.rollbackTo(savepoint)
        this.#queuedBytes -= p.cost
        p.reject(err)
      }
    }
  }

  /** Writes the applied transactions as one commit and starts its sync; or ends the run. */
  #flush(): void {
    const tree = this.#tree!
    const group = this.#applied
    if (group.length === 0) {
      this.#tree = undefined
      this.#end()
      this.#finish()
      return
    }
    this.#applied = []
    let written: { head: Head; next: LogicalTree; written: boolean }
    try {
      written = this.#host.write(tree)
    } catch (err) {
      this.#fail(group, err)
      return
    }
    this.#tree = written.next
    this.#syncing = { group, head: written.head, tree }
    // A group that changed nothing (only reads) is durable once what came before is.
    ;(written.written ? this.#host.sync() : Promise.resolve()).then(
      () => this.#synced(),
      (err: unknown) => this.#fail(this.#syncing!.group, err),
    )
  }

  #synced(): void {
    const { group, head, tree } = this.#syncing!
    this.#syncing = undefined
    this.#host.publish(head, tree)
    for (const p of group) {
      this.#queuedBytes -= p.cost
      p.resolve(p.result)
    }
    if (this.#closed) {
      this.#tree = undefined
      this.#end()
      this.#finish()
      return
    }
    // Decide after the callers just resolved have run: a writer that awaits one
    // write and issues the next joins this group instead of waiting for another.
    queueMicrotask(() => {
      if (this.#syncing !== undefined || this.#tree === undefined) return
      this.#applyQueued()
      this.#flush()
    })
  }

  /** A write or sync failed: every transaction not yet durable fails with it. */
  #fail(group: Pending[], err: unknown): void {
    this.#syncing = undefined
    this.#tree = undefined
    const rest = [...group, ...this.#applied, ...this.#queue]
    this.#applied = []
    this.#queue = []
    this.#rejectAll(rest, err)
    try {
      this.#host.abandon()
    } catch {
      // The storage is fenced already; every promise has its error.
    }
    this.#finish()
  }

  /**
   * Releases the lock once nothing is left to commit. Every promise has settled by
   * then, so a failing unlock has nobody to tell here; the storage fences itself.
   */
  #end(): void {
    try {
      this.#host.end()
    } catch {
      // See above: never let it escape from a callback of the event loop.
    }
  }

  #rejectAll(pending: Pending[], err: unknown): void {
    for (const p of pending) {
      this.#queuedBytes -= p.cost
      p.reject(err)
    }
  }

  #finish(): void {
    this.#running = false
    this.#idleResolve?.()
    this.#idleResolve = undefined
    // Calls made by the promises just settled may have queued more.
    if (this.#queue.length > 0 && !this.#closed) this.#start()
  }
}
