import { describe, expect, it } from 'vitest'
import { compareKeys, inBounds, toBounds } from './keys.js'

const k = (...b: number[]) => Uint8Array.from(b)

describe('keys', () => {
  it('orders by unsigned bytes, a prefix first', () => {
    const sorted = [k(), k(0), k(0, 0), k(0, 1), k(1), k(0x7f), k(0x80), k(0xff), k(0xff, 0)]
    const shuffled = [...sorted].reverse()
    expect(shuffled.sort(compareKeys)).toEqual(sorted)
    expect(compareKeys(k(1, 2), k(1, 2))).toBe(0)
  })

  it('turns ranges into bounds: gte beats gt, lte beats lt, negative limit is none', () => {
    const b = toBounds({ gt: k(1), gte: k(2), lt: k(9), lte: k(8), limit: -1 })
    expect(b).toMatchObject({ lower: k(2), lowerInclusive: true, upper: k(8), upperInclusive: true, limit: Infinity, reverse: false })
    const open = toBounds({ gt: k(2), lt: k(4) })
    expect([1, 2, 3, 4, 5].map((n) => inBounds(k(n), open))).toEqual([false, false, true, false, false])
  })
})
