// A cache of decoded records by file address, bounded by an estimate of their
// memory. Only clean (committed or stored) records live here; dirty nodes of an
// open transaction are held by their parents, so eviction never loses data.

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024

interface Entry {
  value: unknown
  weight: number
}

/** Least-recently-used by insertion order of a Map: a hit moves the entry to the end. */
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
    this.#entries.delete(address)
    this.#entries.set(address, entry)
    return entry.value
  }

  set(address: number, value: unknown, weight: number): void {
    const old = this.#entries.get(address)
    if (old !== undefined) {
      this.#bytes -= old.weight
      this.#entries.delete(address)
    }
    if (weight > this.maxBytes) return
    this.#entries.set(address, { value, weight })
    this.#bytes += weight
    if (this.#bytes > this.maxBytes) this.#evict()
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  #evict(): void {
    for (const [address, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes * 0.9) break
      this.#entries.delete(address)
      this.#bytes -= entry.weight
    }
  }
}
