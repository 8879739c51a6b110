// Bulk loads: 200,000 sorted and 200,000 random keys in one transaction, committed,
// reopened through a small cold cache, spot-checked and check()ed.
import { equal } from 'node:assert/strict'
import { NodeCache } from '@dbdb/logical'
import { prng, testSeed } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { enc, Harness } from './harness.fixture.js'

const N = 200_000
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))

function load(keys: number[]) {
  const h = new Harness(strictBPlusTree())
  const t = h.open(0, new NodeCache())
  for (const i of keys) t.set(enc(`k${String(i).padStart(7, '0')}`), enc(`v${i}`))
  equal(t.size, N)
  const root = h.commit(t)
  const cold = h.open(root, new NodeCache(256 * 1024))
  equal(cold.size, N)
  cold.check()
  for (let i = 0; i < N; i += 997) equal(dec(cold.get(enc(`k${String(i).padStart(7, '0')}`))), `v${i}`)
  equal(cold.get(enc('k')), undefined)
  equal(cold.count({ gte: enc('k0100000'), lt: enc('k0150000') }), 50_000)
  let expected = 0
  for (const [k, v] of cold.entries()) {
    equal(dec(k), `k${String(expected).padStart(7, '0')}`)
    equal(dec(v), `v${expected}`)
    expected++
  }
  equal(expected, N)
}

describe('bulk loads in one transaction', () => {
  it(`${N.toLocaleString('en')} sorted keys`, () => {
    load(Array.from({ length: N }, (_, i) => i))
  }, 60_000)

  it(`${N.toLocaleString('en')} random keys`, () => {
    const rand = prng(testSeed('bplus bulk random'))
    const keys = Array.from({ length: N }, (_, i) => i)
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[keys[i], keys[j]] = [keys[j]!, keys[i]!]
    }
    load(keys)
  }, 60_000)
})
