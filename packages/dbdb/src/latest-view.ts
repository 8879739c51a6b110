// The newest commit as a handle sees it: which file it reads (its generation,
// replaced when compaction swaps the file), when a read must look at the file again
// (freshness.ts), and the tree it reuses while nothing has changed. The handle
// decides when to ask (its transaction rules); this keeps the bookkeeping.

import type { Codec } from '@dbdb/codec'
import type { LogicalTree, TreeFactory } from '@dbdb/logical'
import type { FileStorage, Head } from '@dbdb/storage'
import { Freshness } from './freshness.js'
import { Generation } from './generation.js'

/** A commit as a handle last saw it, and its tree. */
export interface View {
  readonly head: Head
  readonly tree: LogicalTree
  readonly gen: Generation
  /** The generation's lostCommits when the tree was opened. */
  readonly lostCommits: number
}

export class LatestView {
  /** The file as the handle has it open; replaced when compaction swaps the file. */
  #gen: Generation
  readonly #reopen: () => FileStorage
  readonly #freshness: Freshness
  readonly #factory: TreeFactory
  readonly #nodeCodec: Codec
  readonly #cacheBytes: number | undefined
  /** The newest commit as the handle last saw it, and its tree (reused while nothing changes). */
  #view: View

  /** `reopen`: opens the path again, with the same options (after compaction replaced the file). */
  constructor(storage: FileStorage, reopen: () => FileStorage, factory: TreeFactory, nodeCodec: Codec, cacheBytes: number | undefined) {
    this.#reopen = reopen
    this.#factory = factory
    this.#nodeCodec = nodeCodec
    this.#cacheBytes = cacheBytes
    this.#gen = new Generation(storage, nodeCodec, cacheBytes)
    this.#freshness = new Freshness(storage.identity)
    // The storage's open has just looked at the file, in this task: neither this nor
    // the first read looks again (a system call, and in a new process its compilation).
    const head = storage.knownHead
    this.#freshness.checked()
    this.#view = this.#viewAt(head, this.#factory.open(this.#gen.context, head.root))
  }

  /** The file as the handle has it open. */
  get gen(): Generation {
    return this.#gen
  }

  /** The newest commit as the handle last saw it; up to date unless `stale`. */
  get view(): View {
    return this.#view
  }

  /** Whether a read must look at the file before it trusts `view`. */
  get stale(): boolean {
    return this.#freshness.stale()
  }

  /** Looks at the file, follows a compaction that replaced it, and reloads the tree if another commit happened. */
  refresh(): View {
    let head = this.#gen.storage.head()
    this.#freshness.checked()
    if (this.#gen.storage.moved) head = this.moveOn().head()
    const view = this.#view
    // A head that moved back (a lost commit) may come back with the same txid and root
    // as the lost one: the generation's count of lost commits tells them apart.
    if (
      head.txid !== view.head.txid ||
      head.root !== view.head.root ||
      view.gen !== this.#gen ||
      view.lostCommits !== this.#gen.lostCommits
    ) {
      this.#view = this.#viewAt(head, this.#factory.open(this.#gen.context, head.root))
    }
    return this.#view
  }

  /** The handle committed `head`, whose tree is `tree`: the newest, for it and for the process's other handles on the file. */
  committed(head: Head, tree: LogicalTree): void {
    this.#view = this.#viewAt(head, tree)
    this.#freshness.committed()
  }

  /**
   * After a compaction this handle took part in: the other handles of this process on
   * the replaced file look at it (and find it replaced), and those already on the new
   * one look at that.
   */
  movedByCompaction(): void {
    this.#freshness.committed()
    this.moveOn()
    this.#freshness.committed()
  }

  /** Compaction replaced the file: open the one now at the path; snapshots keep the old one. */
  moveOn(): FileStorage {
    const old = this.#gen
    this.#gen = new Generation(this.#reopen(), this.#nodeCodec, this.#cacheBytes)
    this.#freshness.moveTo(this.#gen.storage.identity)
    old.release()
    return this.#gen.storage
  }

  #viewAt(head: Head, tree: LogicalTree): View {
    return { head, tree, gen: this.#gen, lostCommits: this.#gen.lostCommits }
  }
}
