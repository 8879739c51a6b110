// A read-only view of one commit. It sees exactly that commit for its whole
// life, whatever writers do meanwhile: committed nodes are never changed.

import type { Codec } from '@dbdb/codec'
import type { LogicalTree } from '@dbdb/logical'
import { DbdbError } from '@dbdb/storage'
import type { KeyCodec } from './key-encoding.js'
import { Reader } from './reader.js'

export class Snapshot<K = string, V = any> extends Reader<K, V> {
  /** The commit this view shows. */
  readonly txid: number
  /** When that commit was made (ms since the epoch; 0 for the empty database). */
  readonly time: number
  readonly #tree: LogicalTree
  readonly #onClose: (s: Snapshot<K, V>) => void
  #closed = false

  /** @internal Made by Database.snapshot() and Database.at(). */
  constructor(keyCodec: KeyCodec<K>, valueCodec: Codec, tree: LogicalTree, txid: number, time: number, onClose: (s: Snapshot<K, V>) => void) {
    super(keyCodec, valueCodec)
    this.#tree = tree
    this.txid = txid
    this.time = time
    this.#onClose = onClose
  }

  get closed(): boolean {
    return this.#closed
  }

  protected readTree(): LogicalTree {
    if (this.#closed) throw new DbdbError('DBDB_CLOSED', `the snapshot of transaction ${this.txid} is closed`)
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
