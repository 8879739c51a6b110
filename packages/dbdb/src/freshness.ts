// When a handle must look at the file again before a read. Looking costs a system
// call (one small read: the newest commit record and the 9 bytes after it), which would
// dominate a cached point read, so a handle looks:
//   - after any commit by any handle of this process to the same file (a counter,
//     no system call), so this process always reads its own writes;
//   - at the first read of every task (event-loop turn): a message announcing another
//     process's commit arrives in a new task, which then sees that commit;
//   - and at least every millisecond inside a long synchronous run (the clock is read
//     at every read: a synchronous program may sleep between two reads, and counting
//     reads instead let a read after a pause miss a commit, which a crash test caught).
// This is lmdb-js's read-transaction renewal, bounded. Write transactions always take
// the lock and reload, so read-modify-write never depends on it.

import { resolve } from 'node:path'

/** Commits made by this process, per database file (one shared counter per file). */
const localCommits = new Map<string, { n: number }>()
/** Longest a synchronous run of reads goes without looking at the file, in ms. */
const MAX_STALENESS_MS = 1
/** Ends a task's "already looked" through a microtask: a promise reaction costs less than queueMicrotask, which makes an AsyncResource per call. */
const settled = Promise.resolve()

export class Freshness {
  readonly #commits: { n: number }
  #seen = -1
  #checkedAt = 0
  #inTask = false
  readonly #endTask = (): void => {
    this.#inTask = false
  }

  constructor(path: string) {
    const key = resolve(path)
    let commits = localCommits.get(key)
    if (commits === undefined) localCommits.set(key, (commits = { n: 0 }))
    this.#commits = commits
  }

  /** Whether the next read must look at the file first. */
  stale(): boolean {
    return !this.#inTask || this.#commits.n !== this.#seen || performance.now() - this.#checkedAt >= MAX_STALENESS_MS
  }

  /** The file was just looked at. */
  checked(): void {
    this.#seen = this.#commits.n
    this.#checkedAt = performance.now()
    if (!this.#inTask) {
      this.#inTask = true
      void settled.then(this.#endTask)
    }
  }

  /** Forget the last look (the handle moved to another file). */
  reset(): void {
    this.#inTask = false
  }

  /** A handle of this process committed to (or compacted) the file. */
  committed(): void {
    this.#commits.n++
  }
}
