// Test helpers for the physical layer, exported as @dbdb/storage/testing: a
// simulated disk for crash and fault tests, seeded randomness, a child process, and
// file calls that keep count.

export { runModule } from './child.js'
export { countingFileIO, type FileCalls } from './counting-io.js'
export { prng, randomBytes, randomInt, testSeed } from './random.js'
export { type FaultKind, type PowerLossMode, SECTOR_SIZE, type SimCall, SimDisk, SimulatedCrash } from './sim-disk.js'
