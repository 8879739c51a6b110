// Test helpers for the physical layer, exported as @dbdb/storage/testing: a
// simulated disk for crash and fault tests, seeded randomness, a child process, and
// file calls that keep count.
export { SimDisk, SimulatedCrash, SECTOR_SIZE, type FaultKind, type PowerLossMode, type SimCall } from './sim-disk.js'
export { prng, testSeed, randomInt, randomBytes } from './random.js'
export { runModule } from './child.js'
export { countingFileIO, type FileCalls } from './counting-io.js'
