// The contract between the physical layer and everything above it: bytes in at
// addresses, bytes out by address, and an atomic, durable commit of a root.

/** One commit, as recorded in the file. */
export interface Head {
  /** Transaction id: 0 for a database that has never committed, then 1, 2, 3... */
  readonly txid: number
  /** Address of the tree's root record, or 0 for an empty tree. */
  readonly root: number
  /** Wall-clock time of the commit in ms since the epoch (0 for txid 0). */
  readonly time: number
  /** Address of the commit record itself (0 for txid 0). */
  readonly address: number
}

export type Durability = 'fsync' | 'none'

/** Opaque, small string map recorded in the superblock when a file is created (tree and codec ids). */
export type StorageMeta = Readonly<Record<string, string>>

export interface Storage {
  /** What the file recorded at creation. */
  readonly meta: StorageMeta
  readonly readOnly: boolean
  /** True while this handle holds the writer lock. */
  readonly locked: boolean
  /**
   * The newest commit. Outside the lock this looks at the file again, so it sees
   * every commit that finished before the call (cheap when nothing changed).
   */
  head(): Head
  /**
   * Takes the exclusive writer lock, waiting up to `timeoutMs`, and returns the
   * newest commit. The caller MUST rebuild its view from the returned head: any
   * root read before the lock may be stale (the bug the original DBDB admits to).
   */
  lock(timeoutMs?: number): Head
  /** Drops anything appended but not committed and releases the lock. */
  unlock(): void
  /** Buffers a record for the current transaction and returns its address. Needs the lock. */
  append(bytes: Uint8Array): number
  /** Reads a record by address (committed, or appended by this handle's open transaction). */
  read(address: number): Uint8Array
  /** Makes everything appended, with `root` as the new root, one atomic, durable commit. Keeps the lock. */
  commit(root: number): Head
  /** Drops everything appended since the last commit; keeps the lock. */
  abort(): void
  /** Past commits still in the file, newest first. */
  history(): IterableIterator<Head>
  close(): void
}
