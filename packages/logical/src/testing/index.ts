export { type ConformanceOptions, defineTreeConformance, type TestApi } from './conformance.js'
export { prng, randomBytes, randomInt, testSeed } from './random.js'
export { savepointsAtRandom } from './savepoints.js'
