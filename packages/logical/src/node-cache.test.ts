import { describe, expect, it } from 'vitest'
import { NodeCache } from './node-cache.js'

describe('NodeCache', () => {
  it('stays under its bound, keeping recently used entries (CLOCK)', () => {
    const cache = new NodeCache(1000)
    for (let a = 1; a <= 10; a++) cache.set(a, `v${a}`, 100)
    expect(cache.bytes).toBeLessThanOrEqual(1000)
    cache.get(1) // used: gets a second chance
    cache.set(11, 'v11', 100)
    cache.set(12, 'v12', 100)
    expect(cache.bytes).toBeLessThanOrEqual(1000)
    expect(cache.get(1)).toBe('v1')
    expect(cache.get(2)).toBeUndefined()
  })

  it('never holds an entry larger than itself, and replaces entries in place', () => {
    const cache = new NodeCache(100)
    cache.set(1, 'huge', 1000)
    expect(cache.get(1)).toBeUndefined()
    cache.set(2, 'a', 10)
    cache.set(2, 'b', 20)
    expect(cache.get(2)).toBe('b')
    expect(cache.bytes).toBe(20)
    cache.clear()
    expect(cache.size).toBe(0)
  })

  it('drops an entry on request, giving back its bytes', () => {
    const cache = new NodeCache(1000)
    cache.set(1, 'a', 100)
    cache.set(2, 'b', 200)
    cache.delete(1)
    cache.delete(3) // not cached: nothing happens
    expect(cache.get(1)).toBeUndefined()
    expect([...cache.addresses()]).toEqual([2])
    expect(cache.bytes).toBe(200)
    cache.delete(2)
    expect([cache.size, cache.bytes]).toEqual([0, 0])
  })

  it('counts hits and misses, and refuses a bad bound', () => {
    const cache = new NodeCache(100)
    cache.get(1)
    cache.set(1, 'x', 1)
    cache.get(1)
    expect([cache.hits, cache.misses]).toEqual([1, 1])
    expect(() => new NodeCache(-1)).toThrow(RangeError)
  })
})
