// Seeded, regenerable test data shared by every store: 16-byte keys and 100-byte values.
//
// A key is the 16 lower-case hex digits of a 64-bit Feistel permutation of its index, so
// keys are unique by construction, look random, sort by unsigned bytes exactly as their
// 64-bit numbers sort, are valid UTF-8, and any key can be made again from its index
// (the memory scenario makes 2,000,000 of them without keeping them). A value is 100
// pseudo-random bytes derived from (seed, index, round): round 0 is the loaded value,
// rounds 1.. are the overwrites.

export const KEY_BYTES = 16
export const VALUE_BYTES = 100

/** A 32-bit mixing function (murmur3's finaliser over x ^ k). */
function mix32(x, k) {
  x = Math.imul((x ^ k) >>> 0, 0x9e3779b1)
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

/** Four round keys derived from the seed. */
function roundKeys(seed) {
  const keys = []
  let s = seed >>> 0
  for (let r = 0; r < 4; r++) {
    s = mix32(s, 0x6a09e667 + r)
    keys.push(s)
  }
  return keys
}

const HEX = Buffer.from('0123456789abcdef', 'latin1')

function writeHex32(out, offset, x) {
  for (let i = 7; i >= 0; i--) {
    out[offset + i] = HEX[x & 15]
    x >>>= 4
  }
}

export class KeyMaker {
  constructor(seed) {
    this.k = roundKeys(seed)
    this.hi = 0
    this.lo = 0
  }

  /** Sets this.hi / this.lo to the 64-bit permutation of index i (i < 2^32). Bijective. */
  permute(i) {
    const k = this.k
    let l = 0
    let r = i >>> 0
    for (let round = 0; round < 4; round++) {
      const t = (l ^ mix32(r, k[round])) >>> 0
      l = r
      r = t
    }
    this.hi = l
    this.lo = r
  }

  /** Writes key i's 16 bytes into out at offset. */
  write(i, out, offset) {
    this.permute(i)
    writeHex32(out, offset, this.hi)
    writeHex32(out, offset + 8, this.lo)
  }

  /** A fresh Buffer holding key i. */
  key(i) {
    const b = Buffer.allocUnsafe(KEY_BYTES)
    this.write(i, b, 0)
    return b
  }
}

/** Writes value (i, round) into a Uint32Array at word offset w (25 words = 100 bytes). */
export function writeValueWords(words, w, seed, i, round) {
  // xorshift32, seeded per (seed, index, round); never zero.
  let x = mix32(mix32(i >>> 0, seed >>> 0), 0x1000193 + round) || 0x9e3779b9
  for (let j = 0; j < VALUE_BYTES / 4; j++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[w + j] = x >>> 0
  }
}

/** A fresh Buffer holding value (i, round). */
export function makeValue(seed, i, round) {
  const b = Buffer.alloc(VALUE_BYTES)
  writeValueWords(new Uint32Array(b.buffer, b.byteOffset, VALUE_BYTES / 4), 0, seed, i, round)
  return b
}

/** Small seeded PRNG for choosing workloads (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One slab of `count` values of `round` for indices start.., with a Buffer view per value. */
export function valueSlab(seed, start, count, round, slab) {
  slab ??= { buffer: Buffer.allocUnsafeSlow(count * VALUE_BYTES), views: [] }
  const words = new Uint32Array(slab.buffer.buffer, slab.buffer.byteOffset, (count * VALUE_BYTES) / 4)
  for (let j = 0; j < count; j++) writeValueWords(words, j * (VALUE_BYTES / 4), seed, start + j, round)
  if (slab.views.length === 0) {
    for (let j = 0; j < count; j++) slab.views.push(slab.buffer.subarray(j * VALUE_BYTES, (j + 1) * VALUE_BYTES))
  }
  return slab
}

/**
 * The whole workload of one benchmark run. Index layout:
 *   0 .. n-1            keys bulk-loaded in one transaction (in index order, i.e. random key order)
 *   n .. n+c-1          keys written by the small commits, one commit each
 *   n+c .. n+c+m-1      keys never written: the misses of the point gets
 */
export function makeWorkload({ n, commits, gets, ranges, rangeLength, seed }) {
  const live = n + commits
  const misses = Math.max(1, Math.ceil(gets / 10))
  const total = live + misses
  const maker = new KeyMaker(seed)
  const keySlab = Buffer.allocUnsafeSlow(total * KEY_BYTES)
  const hi = new Uint32Array(total)
  const lo = new Uint32Array(total)
  const keys = new Array(total)
  for (let i = 0; i < total; i++) {
    maker.write(i, keySlab, i * KEY_BYTES)
    hi[i] = maker.hi
    lo[i] = maker.lo
    keys[i] = keySlab.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES)
  }
  const values = valueSlab(seed, 0, live, 0).views

  // Live keys in ascending byte order (= ascending 64-bit number).
  const sorted = Uint32Array.from({ length: live }, (_, i) => i)
  sorted.sort((a, b) => hi[a] - hi[b] || lo[a] - lo[b])

  const random = prng(seed ^ 0x5eed)
  // Point gets: 10% misses (keys never written), 90% uniform over the live keys.
  const getOps = new Uint32Array(gets)
  for (let j = 0; j < gets; j++) {
    getOps[j] = j % 10 === 9 ? live + Math.floor(random() * misses) : Math.floor(random() * live)
  }
  // Shuffle so that misses are not periodic.
  for (let j = gets - 1; j > 0; j--) {
    const r = Math.floor(random() * (j + 1))
    const t = getOps[j]
    getOps[j] = getOps[r]
    getOps[r] = t
  }
  const length = Math.min(rangeLength, Math.max(1, Math.floor(live / 2)))
  const rangeStarts = new Uint32Array(ranges)
  for (let j = 0; j < ranges; j++) rangeStarts[j] = Math.floor(random() * (live - length + 1))

  return { n, commits, live, misses, seed, keys, values, sorted, getOps, rangeStarts, rangeLength: length, random }
}
