// A read-only view of one commit. It sees exactly that commit for its whole
// life, whatever writers do meanwhile: committed nodes are never changed.

import type { Codec } from '@dbdb/codec'
import type { LogicalTree } from '@dbdb/logical'
import { DbdbError } from '@dbdb/storage'
import type { KeyCodec } from './key-encoding.js'
import { Reader } from './reader.js'

// biome-ignore lint/suspicious/noExplicitAny: values default to any, as a Map's do: a view holds whatever its codec stores
export class Snapshot<K = string, V = any> extends Reader<K, V> {
  /** The commit this view shows. */
  readonly txid: number
  /** When that commit was made (ms since the epoch; 0 for the empty database). */
  readonly time: number
  readonly #tree: LogicalTree
  readonly #onClose: (s: Snapshot<K, V>) => void
  readonly #lost: () => boolean
  #closed = false

  /**
   * @internal Made by Database.snapshot() and Database.at(). `lost` tells whether the
   * commit shown has been found gone from the file since (a commit read before its
   * sync failed).
   */
  constructor(
    keyCodec: KeyCodec<K>,
    valueCodec: Codec,
    tree: LogicalTree,
    txid: number,
    time: number,
    onClose: (s: Snapshot<K, V>) => void,
    lost: () => boolean = () => false,
  ) {
    super(keyCodec, valueCodec)
    this.#tree = tree
    this.txid = txid
    this.time = time
    this.#onClose = onClose
    this.#lost = lost
  }

  get closed(): boolean {
    return this.#closed
  }

  protected readTree(): LogicalTree {
    if (this.#closed) throw new DbdbError('DBDB_CLOSED', `the snapshot of transaction ${this.txid} is closed`)
    // Its records' addresses now hold other transactions' records: reading on would
    // return their data as this commit's.
    if (this.#lost()) {
      throw new DbdbError(
        'DBDB_NO_SUCH_COMMIT',
        `transaction ${this.txid}, which this snapshot shows, never committed: its sync failed and its writer cut it off`,
      )
    }
    return this.#tree
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#onClose(this)
  }

  [Symbol.dispose](): void {
    this.close()
  }
}
