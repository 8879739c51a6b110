// A cache of decoded records by file address, bounded by an estimate of their
// memory. Only clean (committed or stored) records live here; dirty nodes of an
// open transaction are held by their parents, so eviction never loses data.

/** Decoded nodes take about three times their file bytes: 128 MiB caches a ~40 MB B+ tree whole. */
export const DEFAULT_CACHE_BYTES = 128 * 1024 * 1024

interface Entry {
  value: unknown
  weight: number
  /** Set by every hit, cleared by the eviction sweep: a second chance (CLOCK). */
  used: boolean
}

/**
 * CLOCK eviction over a Map's insertion order: a hit only sets a flag (reordering a
 * Map on every hit costs more than the lookup), and the sweep gives recently used
 * entries a second chance by moving them to the back.
 */
export class NodeCache {
  readonly maxBytes: number
  readonly #entries = new Map<number, Entry>()
  #bytes = 0
  hits = 0
  misses = 0

  constructor(maxBytes: number = DEFAULT_CACHE_BYTES) {
    if (!(maxBytes >= 0)) throw new RangeError('cache size must be a number of bytes >= 0')
    this.maxBytes = maxBytes
  }

  get bytes(): number {
    return this.#bytes
  }

  get size(): number {
    return this.#entries.size
  }

  get(address: number): unknown {
    const entry = this.#entries.get(address)
    if (entry === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    entry.used = true
    return entry.value
  }

  set(address: number, value: unknown, weight: number): void {
    const old = this.#entries.get(address)
    if (old !== undefined) {
      this.#bytes -= old.weight
      this.#entries.delete(address)
    }
    if (weight > this.maxBytes) return
    this.#entries.set(address, { value, weight, used: false })
    this.#bytes += weight
    if (this.#bytes > this.maxBytes) this.#evict()
  }

  /** The cached addresses, least recently added first. */
  addresses(): IterableIterator<number> {
    return this.#entries.keys()
  }

  /** Drops `address` if cached: a record no reader is likely to want again. */
  delete(address: number): void {
    const entry = this.#entries.get(address)
    if (entry === undefined) return
    this.#bytes -= entry.weight
    this.#entries.delete(address)
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  #evict(): void {
    const target = this.maxBytes * 0.9
    // Each pass either evicts an entry or clears its flag, so two passes suffice.
    for (let pass = 0; pass < 2 && this.#bytes > target; pass++) {
      for (const [address, entry] of this.#entries) {
        if (this.#bytes <= target) return
        this.#entries.delete(address)
        if (entry.used) {
          entry.used = false
          this.#entries.set(address, entry)
        } else {
          this.#bytes -= entry.weight
        }
      }
    }
  }
}
