export { defineTreeConformance, type ConformanceOptions, type TestApi } from './conformance.js'
export { prng, testSeed, randomInt, randomBytes } from './random.js'
export { savepointsAtRandom } from './savepoints.js'
