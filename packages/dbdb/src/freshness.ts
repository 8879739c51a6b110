// When a handle must look at the file again before a read. Looking costs a system
// call (fstat), which would dominate a cached point read, so a handle looks:
//   - after any commit by any handle of this process to the same file (a counter,
//     no system call), so this process always reads its own writes;
//   - at the first read of every task (event-loop turn): a message announcing another
//     process's commit arrives in a new task, which then sees that commit;
//   - and at least every millisecond inside a long synchronous run.
// This is lmdb-js's read-transaction renewal, bounded. Write transactions always take
// the lock and reload, so read-modify-write never depends on it.

import { resolve } from 'node:path'

/** Commits made by this process, per database file. */
const localCommits = new Map<string, number>()
/** Longest a synchronous run of reads goes without looking at the file, in ms. */
const MAX_STALENESS_MS = 1

export class Freshness {
  readonly #key: string
  #seen = -1
  #checkedAt = 0
  #inTask = false

  constructor(path: string) {
    this.#key = resolve(path)
  }

  /** Whether the next read must look at the file first. */
  stale(): boolean {
    return !this.#inTask || (localCommits.get(this.#key) ?? 0) !== this.#seen || performance.now() - this.#checkedAt >= MAX_STALENESS_MS
  }

  /** The file was just looked at. */
  checked(): void {
    this.#seen = localCommits.get(this.#key) ?? 0
    this.#checkedAt = performance.now()
    if (!this.#inTask) {
      this.#inTask = true
      queueMicrotask(() => {
        this.#inTask = false
      })
    }
  }

  /** Forget the last look (the handle moved to another file). */
  reset(): void {
    this.#inTask = false
  }

  /** A handle of this process committed to (or compacted) the file. */
  committed(): void {
    localCommits.set(this.#key, (localCommits.get(this.#key) ?? 0) + 1)
  }
}
