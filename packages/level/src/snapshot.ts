// An explicit Level snapshot: a token that holds one DBDB read-only view of the
// commit that was newest when db.snapshot() was called.

import { AbstractSnapshot } from 'abstract-level'
import type { View } from './cursor.js'

// abstract-level's types omit the constructor's `options` (it carries the owner db).
const SnapshotBase = AbstractSnapshot as unknown as new (options: object) => AbstractSnapshot

export class DbdbSnapshot extends SnapshotBase {
  /** @internal The DBDB view every read made with this snapshot goes to. */
  readonly view: View

  /** @internal Made by DbdbLevel#snapshot(). */
  constructor(view: View, options: object) {
    super(options)
    this.view = view
  }

  /** Called once, after every read that uses the snapshot has finished. */
  async _close(): Promise<void> {
    this.view.close()
  }
}
