// The writer lock: an exclusive flock(2) on the database file's own descriptor.
// The kernel releases it when the holder dies, so a killed writer never leaves
// the database locked. flock locks belong to an open file description, so two
// handles in one process (two descriptors) exclude each other too.
//
// LOCKING HAZARD: Node has no flock; it comes from the native module fs-ext,
// an optional dependency. Without it we refuse to write rather than write unsafely.

import { createRequire } from 'node:module'
import { DbdbError } from './errors.js'

export type FlockSync = (fd: number, flags: 'exnb' | 'un') => void

let flock: FlockSync | undefined
let flockLoadError: unknown

function loadFlock(): FlockSync {
  if (flock !== undefined) return flock
  if (flockLoadError === undefined) {
    try {
      flock = (createRequire(import.meta.url)('fs-ext') as { flockSync: FlockSync }).flockSync
      return flock
    } catch (err) {
      flockLoadError = err
    }
  }
  throw new DbdbError(
    'DBDB_LOCK_UNAVAILABLE',
    'writing needs a cross-process file lock, which comes from the optional native module fs-ext; ' +
      'it is not installed (installing it needs a C++ toolchain). Open the database with readOnly: true to read it.',
    { cause: flockLoadError },
  )
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the thread (not libuv's pool) for `ms` milliseconds. */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms)
}

export class FileLock {
  readonly #fd: number
  readonly #path: string
  readonly #flock: FlockSync | undefined
  #held = false

  /** `flock` replaces fs-ext's flockSync (simulated disks in tests). */
  constructor(fd: number, path: string, flock?: FlockSync) {
    this.#fd = fd
    this.#path = path
    this.#flock = flock
  }

  get held(): boolean {
    return this.#held
  }

  /**
   * Takes the lock, retrying a non-blocking attempt with backoff until `timeoutMs`.
   * A blocking flock would pin one of libuv's four threads for as long as another
   * process holds the lock; polling keeps the wait bounded and visible.
   */
  acquire(timeoutMs: number): void {
    if (this.#held) return
    const deadline = Date.now() + timeoutMs
    let delay = 1
    for (;;) {
      if (this.#tryOnce()) return
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new DbdbError('DBDB_LOCKED', `${this.#path} is locked by another writer (waited ${timeoutMs} ms)`)
      }
      sleep(Math.min(delay, left))
      delay = Math.min(delay * 2, 25)
    }
  }

  /**
   * Takes the lock like acquire(), but waits without blocking the event loop: the
   * non-blocking attempt is retried from timers (1 ms doubling to 25 ms) until
   * `timeoutMs`, then DBDB_LOCKED.
   */
  async acquireAsync(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let delay = 1
    while (!this.#held) {
      if (this.#tryOnce()) return
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new DbdbError('DBDB_LOCKED', `${this.#path} is locked by another writer (waited ${timeoutMs} ms)`)
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)))
      delay = Math.min(delay * 2, 25)
    }
  }

  /** One non-blocking attempt: true when the lock is now held, false when another holder has it. */
  #tryOnce(): boolean {
    const flockSync = this.#flock ?? loadFlock()
    try {
      flockSync(this.#fd, 'exnb')
      this.#held = true
      return true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
        throw new DbdbError('DBDB_IO', `cannot lock ${this.#path}: ${(err as Error).message}`, { cause: err })
      }
      return false
    }
  }

  release(): void {
    if (!this.#held) return
    this.#held = false
    ;(this.#flock ?? loadFlock())(this.#fd, 'un')
  }
}
