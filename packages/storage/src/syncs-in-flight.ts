// The fdatasyncs a handle has running on libuv's thread pool (FileStorage.syncAsync),
// with the reserved zeros a group commit leaves for its sync to write. Several may be
// in flight (a commit written while an earlier one syncs, then its own sync); their
// outcomes are taken in call order, so that when one fails, the point the handle
// falls back to already counts every earlier sync that succeeded.

/** A sync that has run; `settled()` once its outcome has been taken, which lets the next one take its own. */
export interface SyncOutcome {
  readonly error: unknown
  readonly settled: () => void
}

export class SyncsInFlight {
  /** How many are running: the descriptor and the lock stay until they settle. */
  #count = 0
  /** Settles once the latest sync has taken its outcome (never rejects). */
  #last: Promise<void> = Promise.resolve()
  /** Where the next sync writes reserved zeros first (a group commit grew the file). */
  #reserveAt: number | undefined
  #writingZeros = false
  /** close() was called while syncs were running: the handle closes when the last settles. */
  closing = false

  get running(): boolean {
    return this.#count > 0
  }

  /** A sync is writing reserved zeros past the head, where a commit now would go. */
  get writingZeros(): boolean {
    return this.#writingZeros
  }

  /** The next sync writes zeros after `end` before it syncs. */
  reserveAfter(end: number): void {
    this.#reserveAt = end
  }

  /**
   * Writes the zeros asked for (`reserve(at)`), then syncs (`sync()`), both off the main
   * thread; resolves once every sync started before this one has settled.
   */
  async run(reserve: (at: number) => Promise<void>, sync: () => Promise<void>): Promise<SyncOutcome> {
    const reserveAt = this.#reserveAt
    this.#reserveAt = undefined
    const earlier = this.#last
    let settled!: () => void
    this.#last = new Promise<void>((resolve) => {
      settled = resolve
    })
    this.#count++
    let error: unknown
    try {
      if (reserveAt !== undefined) {
        this.#writingZeros = true
        await reserve(reserveAt).finally(() => {
          this.#writingZeros = false
        })
      }
      await sync()
    } catch (err) {
      error = err
    }
    await earlier
    this.#count--
    return { error, settled }
  }
}
