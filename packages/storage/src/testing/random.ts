// Seeded randomness for tests: every random test prints its seed, and
// DBDB_SEED=<n> replays it. The layers above re-export these (@dbdb/logical/testing).

/** mulberry32: small, fast, good enough to shuffle test workloads. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed for a random test: DBDB_SEED if set, else a fresh one. Printed either way. */
export function testSeed(label: string): number {
  const fromEnv = process.env.DBDB_SEED
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 0x1_0000_0000) >>> 0
  console.log(`[seed] ${label}: DBDB_SEED=${seed}`)
  return seed
}

export function randomInt(rand: () => number, below: number): number {
  return Math.floor(rand() * below)
}

/** `length` random bytes, each below `alphabet` (default 256). */
export function randomBytes(rand: () => number, length: number, alphabet = 256): Buffer {
  const out = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * alphabet)
  return out
}
