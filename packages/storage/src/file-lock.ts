// The writer lock: an exclusive lock on one byte of the database file, through the
// handle's own descriptor. Linux: an open file description lock (fcntl F_OFD_SETLK);
// macOS: flock(2), which ignores the range and locks the whole file; Windows:
// LockFileEx. All three belong to the open file, not to the process: two handles in
// one process, or in two threads, exclude each other as two processes do, and the
// kernel releases the lock when its holder closes the file or dies.
//
// The byte is at 2^53, past every address DBDB can write (addresses are safe
// integers), not over the data: byte-range locks on Windows are mandatory, and a lock
// over the data would make other handles' reads fail while a writer holds it.
// Readers never take the lock.
//
// LOCKING HAZARD: Node has no file locks; they come from the native module
// fs-native-extensions, which ships prebuilt binaries for some platforms only. Where
// none fits, writing is refused (DBDB_LOCK_UNAVAILABLE) rather than done unlocked.

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as path from 'node:path'
import { setTimeout as wait } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { DbdbError } from './errors.js'

/**
 * The lock calls on a descriptor: 'lock' is a non-blocking attempt at the exclusive
 * lock, which throws an error with code EAGAIN while another open file holds it (and
 * succeeds again for the descriptor that holds it); 'share' is the same for a shared
 * lock (excluded only by an exclusive one; a read-only descriptor may take it);
 * 'unlock' releases either.
 */
export type LockSync = (fd: number, op: 'lock' | 'share' | 'unlock') => void

/** The locked byte: the first offset that is never an address (see above). */
export const LOCK_OFFSET = 2 ** 53
const LOCK_LENGTH = 1
const PACKAGE = 'fs-native-extensions'

/** The package's public calls (index.js): tryLock is false while another holds the lock. */
interface LockPackage {
  tryLock(fd: number, offset: number, length: number, options?: { shared?: boolean }): boolean
  unlock(fd: number, offset: number, length: number): void
}

/** Its binary's calls: tryLock throws EAGAIN while another holds the lock. */
interface LockBinding {
  tryLock(fd: number, offset: number, length: number, exclusive: boolean): void
  unlock(fd: number, offset: number, length: number): void
}

let loaded: LockSync | undefined
let loadError: unknown

/** The native lock calls, loaded once; DBDB_LOCK_UNAVAILABLE where they cannot be. */
export function nativeLock(): LockSync {
  if (loaded !== undefined) return loaded
  if (loadError === undefined) {
    try {
      loaded = loadLock('fast')
      return loaded
    } catch (err) {
      loadError = err
    }
  }
  throw new DbdbError(
    'DBDB_LOCK_UNAVAILABLE',
    `writing needs a cross-process file lock, which comes from the native module ${PACKAGE}, and it has no binary that loads on ` +
      `${process.platform}-${process.arch} (it ships them for Linux, macOS and Windows on x64 and arm64): ` +
      `${(loadError as Error)?.message ?? String(loadError)}. Open the database with readOnly: true to read it.`,
    { cause: loadError },
  )
}

/**
 * Loads the lock calls. 'fast' loads this platform's prebuilt binary from its known
 * place in the package (see prebuiltBinary) with process.dlopen, as require() would
 * load it, but without the CommonJS loader: a handle that may write loads the lock
 * at open, and in a new process the loader's first resolution (createRequire, the
 * package's exports, realpaths, the require cache) costs more than loading the
 * binary, as does the package's own loader (require-addon). Anything unusual
 * (another layout, musl, a platform without a binary there, a package found only
 * through NODE_PATH) goes through the package's loader, as 'package' does.
 */
export function loadLock(how: 'fast' | 'package'): LockSync {
  if (how === 'fast') {
    const binding = loadBinding()
    if (binding !== undefined) {
      return (fd, op) => {
        if (op === 'unlock') binding.unlock(fd, LOCK_OFFSET, LOCK_LENGTH)
        else binding.tryLock(fd, LOCK_OFFSET, LOCK_LENGTH, op === 'lock')
      }
    }
  }
  const lib = createRequire(import.meta.url)(PACKAGE) as LockPackage
  return (fd, op) => {
    if (op === 'unlock') lib.unlock(fd, LOCK_OFFSET, LOCK_LENGTH)
    else if (!lib.tryLock(fd, LOCK_OFFSET, LOCK_LENGTH, { shared: op === 'share' }))
      throw Object.assign(new Error('EAGAIN: the lock is held'), { code: 'EAGAIN' })
  }
}

/**
 * This platform's prebuilt binary in the package that Node's resolution from `from`
 * (this module's folder) finds: the one in the first `node_modules` folder up from
 * there that holds the package. Undefined if no such folder holds it, or if that
 * package has no binary for this platform.
 */
export function prebuiltBinary(from: string = moduleFolder()): string | undefined {
  for (let dir = from; ; ) {
    // Node looks in no node_modules/node_modules folder either.
    if (path.basename(dir) !== 'node_modules') {
      const pkg = path.join(dir, 'node_modules', PACKAGE)
      if (existsSync(path.join(pkg, 'package.json'))) {
        const file = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`, `${PACKAGE}.node`)
        return existsSync(file) ? file : undefined
      }
    }
    const up = path.dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

/** This module's folder; import.meta.dirname spares a new process its first fileURLToPath (undefined outside file: URLs). */
function moduleFolder(): string {
  return import.meta.dirname ?? path.dirname(fileURLToPath(import.meta.url))
}

function loadBinding(): LockBinding | undefined {
  // require-addon picks a -musl binary there (none is shipped); so do we, by not guessing.
  if (process.platform === 'linux' && existsSync('/etc/alpine-release')) return undefined
  // A runtime without process.dlopen loads it through require(), in the package's loader.
  if (typeof process.dlopen !== 'function') return undefined
  const file = prebuiltBinary()
  if (file === undefined) return undefined
  const addon = { exports: {} as Partial<LockBinding> }
  process.dlopen(addon, path.toNamespacedPath(file))
  const binding = addon.exports
  return typeof binding.tryLock === 'function' && typeof binding.unlock === 'function' ? (binding as LockBinding) : undefined
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the thread (not libuv's pool) for `ms` milliseconds. */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms)
}

/** Backoff between attempts: 1 ms doubling to 25 ms, never past the deadline. */
const FIRST_DELAY = 1
const MAX_DELAY = 25

export class FileLock {
  readonly #fd: number
  readonly #path: string
  readonly #calls: LockSync | undefined
  #held = false
  #disposed = false
  #releaseFailure: unknown

  /** `calls` replaces the native lock (simulated disks in tests). */
  constructor(fd: number, path: string, calls?: LockSync) {
    this.#fd = fd
    this.#path = path
    this.#calls = calls
  }

  get held(): boolean {
    return this.#held
  }

  /**
   * Takes the lock, retrying a non-blocking attempt with backoff until `timeoutMs`.
   * A blocking wait would pin one of libuv's four threads for as long as another
   * process holds the lock; polling keeps the wait bounded and visible.
   */
  acquire(timeoutMs: number, mode: 'lock' | 'share' = 'lock'): void {
    if (this.#held) return
    const deadline = Date.now() + timeoutMs
    for (let delay = FIRST_DELAY; ; delay = Math.min(delay * 2, MAX_DELAY)) {
      if (this.#try(mode)) return
      const left = deadline - Date.now()
      if (left <= 0) throw this.#timedOut(timeoutMs)
      sleep(Math.min(delay, left))
    }
  }

  /**
   * As acquire, but waits between attempts with timers, so the event loop runs on
   * meanwhile. Resolves to false if the lock was already held by this handle (taken
   * by a synchronous acquire during the wait), true if this call took it.
   */
  async acquireAsync(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    for (let delay = FIRST_DELAY; ; delay = Math.min(delay * 2, MAX_DELAY)) {
      // LOCKING: the descriptor may have been closed (and its number reused) during the wait.
      if (this.#disposed) throw new DbdbError('DBDB_CLOSED', `${this.#path} was closed while waiting for the writer lock`)
      if (this.#held) return false
      if (this.#try()) return true
      const left = deadline - Date.now()
      if (left <= 0) throw this.#timedOut(timeoutMs)
      await wait(Math.min(delay, left))
    }
  }

  /** Releases the lock. If the release fails, the handle counts it as released and rethrows. */
  release(): void {
    if (!this.#held) return
    this.#held = false
    this.#lockCalls()(this.#fd, 'unlock')
  }

  /**
   * LOCKING HAZARD: a release that fails (ENOLCK, say) may leave the lock held, and
   * whatever was committed is durable already: never throw for it (a commit that
   * returned durable must not be reported as failed). Fence the handle instead: it
   * refuses further writes (releaseFailure), and other writers wait until it closes,
   * which drops the lock.
   */
  releaseQuietly(): void {
    try {
      this.release()
    } catch (err) {
      this.#releaseFailure = err
    }
  }

  /** Throws DBDB_IO once releaseQuietly() failed: the lock may still be held. */
  checkReleased(): void {
    const failure = this.#releaseFailure
    if (failure !== undefined) {
      throw new DbdbError(
        'DBDB_IO',
        `releasing the writer lock on ${this.#path} failed (${(failure as Error).message}); earlier commits stand, ` +
          'but this handle refuses further writes and other writers wait until it is closed: close and reopen it',
        { cause: failure },
      )
    }
  }

  /** The descriptor is about to close (which drops the lock): waits in progress give up. */
  dispose(): void {
    this.#disposed = true
    this.#held = false
  }

  #try(mode: 'lock' | 'share' = 'lock'): boolean {
    try {
      this.#lockCalls()(this.#fd, mode)
      this.#held = true
      return true
    } catch (err) {
      if (err instanceof DbdbError) throw err
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
        throw new DbdbError('DBDB_IO', `cannot lock ${this.#path}: ${(err as Error).message}`, { cause: err })
      }
      return false
    }
  }

  #lockCalls(): LockSync {
    return this.#calls ?? nativeLock()
  }

  #timedOut(timeoutMs: number): DbdbError {
    return new DbdbError('DBDB_LOCKED', `${this.#path} is locked by another writer (waited ${timeoutMs} ms)`)
  }
}
