// What FileStorage.verify reports: the superblock slots, the commits found, the
// tail, the reserved space and any damage.

import type { DamageReport } from './damage.js'
import type { Head } from './storage.js'

export interface SlotReport {
  readonly ok: boolean
  /** The transaction the slot points at, when it could be read. */
  readonly txid?: number
  /** Why the slot is not usable. */
  readonly note?: string
}

export interface StorageReport {
  /** Size of the file in bytes. */
  readonly fileBytes: number
  /** The newest intact commit. */
  readonly head: Head
  /** Each superblock slot. One slot torn by a crash is harmless: the next commit rewrites it. */
  readonly slots: readonly SlotReport[]
  /** Transactions found intact, in order, scanning the file from its first record. */
  readonly commits: number
  /** Bytes after the newest commit: an interrupted transaction, cut off by the next writer. */
  readonly tailBytes: number
  /** Zero bytes at the end of the file: space reserved for the next commits (see ARCHITECTURE.md). */
  readonly reservedBytes: number
  /**
   * Places where the file holds something that is not a valid transaction and intact
   * commits follow (see DamageReport). Those with `torn` false are also in `problems`.
   */
  readonly damage: readonly DamageReport[]
  /** Damage. Empty when the file is sound. */
  readonly problems: readonly string[]
}
