// The write and read paths of a large tree: a small change commits O(height)
// records, and size, count, get and short ranges read O(height) records through a
// cold cache, never the whole tree.
import { deepStrictEqual, equal, ok } from 'node:assert/strict'
import { beforeAll, describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { asHex, enc, Harness } from './harness.fixture.js'

const N = 100_000
const key = (i: number) => enc(`key${String(i).padStart(6, '0')}`)

describe('write path and read path of a 100,000-key tree', () => {
  const h = new Harness(strictBPlusTree())
  let root = 0
  let height = 0
  beforeAll(() => {
    const t = h.open()
    // Shuffled, so leaves are unevenly full as in real use.
    const order = Array.from({ length: N }, (_, i) => i)
    for (let i = N - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1)
      ;[order[i], order[j]] = [order[j]!, order[i]!]
    }
    for (const i of order) t.set(key(i), enc(`value${i}`))
    root = h.commit(t)
    height = h.open(root).height
  })

  it('is a few levels high and passes check()', () => {
    ok(height >= 3 && height <= 4, `height ${height}`)
    h.open(root).check()
  })

  it('changing one value appends exactly one record per level', () => {
    const tree = h.open(root)
    tree.set(key(50_000), enc('changed'))
    equal(h.measure(() => h.commit(tree)).appends, height)
  })

  it('changing a few keys appends O(height) records each', () => {
    const tree = h.open(h.storage.head().root)
    tree.set(key(10), enc('a'))
    tree.set(key(60_000), enc('b'))
    tree.set(enc('key099999x'), enc('new'))
    tree.delete(key(30_000))
    tree.delete(key(90_000))
    // A delete may also copy the sibling it borrows from or merges with.
    const { appends } = h.measure(() => h.commit(tree))
    ok(appends <= 5 * 2 * height, `${appends} records for 5 changes at height ${height}`)
    const cold = h.open(h.storage.head().root)
    equal(cold.size, N - 1)
    equal(cold.get(key(30_000)), undefined)
    equal(new TextDecoder().decode(cold.get(enc('key099999x'))), 'new')
  })

  it('a commit with nothing dirty appends nothing, and deleting a missing key dirties nothing', () => {
    const tree = h.open(h.storage.head().root)
    equal(tree.delete(enc('no such key')), false)
    equal(tree.dirty, false)
    equal(h.measure(() => h.commit(tree)).appends, 0)
  })

  it('size, count and get read O(height) records through a cold cache', () => {
    const tree = h.open(root)
    equal(h.measure(() => equal(tree.size, N)).reads, 1)
    const counted = h.measure(() => equal(tree.count({ gte: key(1234), lt: key(98_765) }), 98_765 - 1234))
    ok(counted.reads <= 2 * height, `count read ${counted.reads} records`)
    const inclusive = h.measure(() => equal(tree.count({ gt: key(5), lte: key(7) }), 2))
    ok(inclusive.reads <= 2 * height, `count read ${inclusive.reads} records`)
    // The tree keeps its root node once loaded (size loaded it), so a get reads the rest of the path.
    equal(h.measure(() => equal(new TextDecoder().decode(tree.get(key(77_777))), 'value77777')).reads, height - 1)
    equal(h.measure(() => equal(h.open(root).get(key(77_777))!.length, 10)).reads, height)
    equal(h.measure(() => equal(tree.height, height)).reads, height)
  })

  it('a short range reads only the leaves it needs, forwards and backwards', () => {
    const tree = h.open(root)
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => [key(from + i), enc(`value${from + i}`)] as [Uint8Array, Uint8Array])
    const forward = h.measure(() => deepStrictEqual(asHex(tree.entries({ gte: key(40_000), limit: 10 })), asHex(rows(40_000, 40_010))))
    ok(forward.reads <= height + 1, `forward read ${forward.reads} records`)
    const backward = h.measure(() =>
      deepStrictEqual(asHex(tree.entries({ lt: key(40_010), reverse: true, limit: 10 })), asHex(rows(40_000, 40_010).reverse())),
    )
    ok(backward.reads <= height + 1, `backward read ${backward.reads} records`)
    const bounded = h.measure(() => equal([...tree.entries({ gte: key(70_000), lt: key(70_003) })].length, 3))
    ok(bounded.reads <= height + 1, `bounded read ${bounded.reads} records`)
    // An iterator that is never advanced reads nothing.
    equal(h.measure(() => void tree.entries()).reads, 0)
  })
})
