// Correctness checks run in the same process as the timings: a store that returns a
// wrong value, a wrong count or a wrong order fails its checks, and the report says so.

export class Checks {
  #byName = new Map()

  #entry(name) {
    let e = this.#byName.get(name)
    if (e === undefined) {
      e = { name, passed: 0, failed: 0, examples: [] }
      this.#byName.set(name, e)
    }
    return e
  }

  /** Counts one check; `detail` (a string or a function making one) describes a failure. */
  ok(name, condition, detail) {
    const e = this.#entry(name)
    if (condition) {
      e.passed++
      return true
    }
    e.failed++
    if (e.examples.length < 3) e.examples.push(typeof detail === 'function' ? detail() : String(detail ?? ''))
    return false
  }

  /** A check that could not run at all (the phase threw). */
  error(name, err) {
    const e = this.#entry(name)
    e.failed++
    e.examples.push(`threw: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}`)
  }

  get failed() {
    let n = 0
    for (const e of this.#byName.values()) n += e.failed
    return n
  }

  toJSON() {
    return [...this.#byName.values()]
  }
}

/** Same bytes? Accepts Buffer or Uint8Array on either side. */
export function sameBytes(a, b) {
  return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0
}

export function hex(bytes) {
  return bytes instanceof Uint8Array ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : String(bytes)
}

export function show(bytes) {
  if (!(bytes instanceof Uint8Array)) return String(bytes)
  const h = hex(bytes)
  return h.length > 24 ? `${h.slice(0, 24)}… (${bytes.length} bytes)` : h
}
