// Seeded randomness for tests, shared with the storage layer below (one copy).
export { prng, randomBytes, randomInt, testSeed } from '@dbdb/storage/testing'
