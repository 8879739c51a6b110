// When a handle must look at the file again before a read. Looking costs a system
// call (one small read: the newest commit record and the 9 bytes after it), which would
// dominate a cached point read, so a handle looks:
//   - after any commit by any handle of this process to the same file (a counter,
//     no system call), so this process always reads its own writes;
//   - at the first read of every task (event-loop turn): a message announcing another
//     process's commit arrives in a new task, which then sees that commit;
//   - and at least every millisecond inside a long synchronous run (the clock is read
//     at every read: a synchronous program may sleep between two reads, so a count of
//     reads would let a read after a pause miss a commit).
// This is lmdb-js's read-transaction renewal, bounded. Write transactions always take
// the lock and reload, so read-modify-write never depends on it.
//
// The counter is per file, not per path: two handles that reach one file through
// different names (a symbolic link, a hard link, `./a.db` and its absolute path) share
// it. A file is named by its device and inode (FileStorage.identity); compaction puts
// a new file at the path, and a handle that moves to it moves to that file's counter.

/** Commits made by this process, per database file (one shared counter per file). */
const localCommits = new Map<string, { n: number }>()

function counterOf(identity: string): { n: number } {
  let commits = localCommits.get(identity)
  if (commits === undefined) {
    commits = { n: 0 }
    localCommits.set(identity, commits)
  }
  return commits
}
/** Longest a synchronous run of reads goes without looking at the file, in ms. */
const MAX_STALENESS_MS = 1
/** Ends a task's "already looked" through a microtask: a promise reaction costs less than queueMicrotask, which makes an AsyncResource per call. */
const settled = Promise.resolve()

export class Freshness {
  #commits: { n: number }
  #seen = -1
  #checkedAt = 0
  #inTask = false
  readonly #endTask = (): void => {
    this.#inTask = false
  }

  /** `identity`: the file's, as FileStorage.identity gives it. */
  constructor(identity: string) {
    this.#commits = counterOf(identity)
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

  /** The handle moved to another file (compaction replaced it): follow that file's commits, and look at it first. */
  moveTo(identity: string): void {
    this.#commits = counterOf(identity)
    this.#seen = -1
    this.#inTask = false
  }

  /** A handle of this process committed to (or compacted) the file. */
  committed(): void {
    this.#commits.n++
  }
}
