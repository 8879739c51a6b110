// A one-line progress bar on stderr, for long work. It draws only when the stream
// is a terminal (so logs and pipes get nothing), at most ~10 times a second, and
// wipes itself when the work ends, leaving the terminal as it was.

/** Enough of process.stderr to draw on; tests pass a fake. */
export interface ProgressStream {
  readonly isTTY?: boolean
  readonly columns?: number
  write(text: string): unknown
}

export interface ProgressOptions {
  /** The amount `update()` counts up to; unknown when absent (no bar, just a count). */
  total?: number
  /** What is counted, after the numbers: 'keys' (default). */
  unit?: string
  /** Replaces the numbers after the bar: e.g. keys loaded while the bar counts bytes. */
  detail?: (done: number) => string
  /** Draw at the first update instead of waiting one interval (for one step of unknown length). */
  immediate?: boolean
  /** Least time between two draws, ms (default 100: ~10 updates a second). */
  intervalMs?: number
  /** The clock, ms (default Date.now; tests pass a fake). */
  now?: () => number
}

const CLEAR_LINE = '\r\x1b[K'
const BAR_WIDTH = 24

export class Progress {
  /** True when this draws anything: the stream is a terminal. Callers may skip work for it otherwise. */
  readonly active: boolean
  readonly #stream: ProgressStream | undefined
  readonly #label: string
  readonly #options: ProgressOptions
  readonly #now: () => number
  readonly #interval: number
  readonly #started: number
  #total: number | undefined
  #lastDraw: number
  #drawn = false
  #finished = false

  constructor(stream: ProgressStream | undefined, label: string, options: ProgressOptions = {}) {
    this.active = stream?.isTTY === true
    this.#stream = stream
    this.#label = label
    this.#options = options
    this.#total = options.total
    this.#now = options.now ?? Date.now
    this.#interval = options.intervalMs ?? 100
    this.#started = this.active ? this.#now() : 0
    // Work that ends within one interval never draws, so quick commands do not flicker.
    this.#lastDraw = options.immediate ? -Infinity : this.#started
  }

  /** Sets the amount to count up to, once it is known. */
  set total(total: number | undefined) {
    this.#total = total
  }

  /** Reports how much is done; draws if the last draw is at least one interval old. */
  update(done: number): void {
    if (!this.active || this.#finished) return
    const now = this.#now()
    if (now - this.#lastDraw < this.#interval) return
    this.#lastDraw = now
    this.#drawn = true
    this.#stream!.write(`\r${this.render(done, now)}\x1b[K`)
  }

  /** Wipes the bar if it was drawn. Safe to call more than once. */
  finish(): void {
    if (this.#finished) return
    this.#finished = true
    if (this.#drawn) this.#stream!.write(CLEAR_LINE)
  }

  [Symbol.dispose](): void {
    this.finish()
  }

  /** The line as drawn, cut to the terminal's width so it never wraps. */
  render(done: number, now = this.#now()): string {
    const total = this.#total
    const unit = this.#options.unit ?? 'keys'
    const seconds = Math.floor((now - this.#started) / 1000)
    const detail =
      this.#options.detail?.(done) ?? (total !== undefined ? `${group(done)}/${group(total)} ${unit}` : `${group(done)} ${unit}`)
    let line: string
    if (total !== undefined && total > 0) {
      const fraction = Math.min(1, Math.max(0, done / total))
      const filled = Math.floor(fraction * BAR_WIDTH)
      const bar = '='.repeat(filled) + (filled < BAR_WIDTH ? '>' : '') + ' '.repeat(Math.max(0, BAR_WIDTH - filled - 1))
      line = `${this.#label} [${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${detail}  ${seconds}s`
    } else {
      line = `${this.#label}  ${detail}  ${seconds}s`
    }
    // A terminal that does not know its size reports 0 columns.
    const width = (this.#stream?.columns || 80) - 1
    return line.length > width ? line.slice(0, Math.max(0, width)) : line
  }
}

/** A progress bar on `stream` (quiet unless it is a terminal). */
export function progress(stream: ProgressStream | undefined, label: string, options?: ProgressOptions): Progress {
  return new Progress(stream, label, options)
}

/**
 * Runs one long step that reports no progress of its own (compact, backup, check):
 * on a terminal, a line saying what is happening stays up until it ends.
 */
export function during<T>(stream: ProgressStream | undefined, label: string, work: () => T): T {
  const p = new Progress(stream, label, { immediate: true, detail: () => '...' })
  try {
    p.update(0)
    return work()
  } finally {
    p.finish()
  }
}

/** 1234567 -> "1,234,567" */
export function group(n: number): string {
  return Math.floor(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}
