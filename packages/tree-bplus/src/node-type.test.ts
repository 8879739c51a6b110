// Reading untrusted records: every malformed node is DBDB_CORRUPT naming its
// address, never data, and a crafted file cannot send a reader round a cycle.
// check() also finds what no single node shows: separators, counts, depths, fill.
import { equal, throws } from 'node:assert/strict'
import { jsonCodec, msgpackCodec } from '@dbdb/codec'
import { describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { enc, Harness } from './harness.fixture.js'

const k = (s: string) => Buffer.from(s)
const isCorrupt = (address?: number) => (err: unknown) => {
  const e = err as { code?: string; address?: number }
  return e.code === 'DBDB_CORRUPT' && (address === undefined || e.address === address)
}

for (const codec of [msgpackCodec, jsonCodec]) {
  describe(`bplus node records (${codec.id})`, () => {
    const setup = () => {
      const h = new Harness(strictBPlusTree({ order: 4 }), codec)
      h.storage.lock()
      const put = (raw: unknown) => h.storage.append(codec.encode(raw))
      // Two well-formed leaves to point at.
      const low = put([2, k('ab'), 1, k('12'), 1, []])
      const high = put([2, k('xy'), 1, k('34'), 1, []])
      return { h, put, low, high }
    }

    it('rejects malformed packed leaves', () => {
      const { h, put } = setup()
      const bad: unknown[] = [
        [2, k('ab'), [1, 1], k('12'), [1, 1]],
        [2, k('ab'), [1, 1], k('12'), [1, 1], [], 'extra'],
        [2, k(''), [], k(''), [], []],
        [2, 'ab', [1, 1], k('12'), [1, 1], []],
        [2, k('ab'), 'lengths', k('12'), [1, 1], []],
        [2, k('ab'), [1, 2], k('12'), [1, 1], []],
        [2, k('ab'), [1], k('12'), [1, 1], []],
        [2, k('ab'), [1, -1, 2], k('12'), [1, 1], []],
        [2, k('ab'), [1, 0.5, 0.5], k('12'), [1, 1], []],
        [2, k('ba'), [1, 1], k('12'), [1, 1], []],
        [2, k('aa'), [1, 1], k('12'), [1, 1], []],
        [2, k('aba'), [2, 1], k('12'), [1, 1], []],
        [2, k('ab'), [1, 1], k('12'), [2], []],
        [2, k('ab'), [1, 1], k('12'), [1, 1, 0], []],
        [2, k('ab'), [1, 1], k('12'), [1, 1], [0]],
        [2, k('ab'), [1, 1], k('12'), [1, 1], {}],
        [2, k('ab'), [1, 1], k('1'), [1, 0], [2, 1]],
        [2, k('ab'), [1, 1], k('1'), [1, 0], [-1, 1]],
        [2, k('ab'), [1, 1], k('1'), [1, 0], [1, 1e15]],
        [2, k('ab'), [1, 1], k('1'), [1, 0], [1, 'x']],
        [2, k('ab'), [1, 1], k('12'), [1, 1], [1, 1]],
        [2, k('abc'), [1, 1, 1], k(''), [0, 0, 0], [1, 1, 1, 1]],
        [2, k('abc'), [1, 1, 1], k(''), [0, 0, 0], [2, 1, 1, 1]],
        [2, k('abc'), 0, k('123'), 1, []],
        [2, k('abc'), 2, k('123'), 1, []],
        [2, k('abcd'), -2, k('12'), 1, []],
        [2, k('abcd'), 1.5, k('123'), 1, []],
        [2, k('abcd'), 2, k('123'), 1, []],
        [2, k('abab'), 2, k('12'), 1, []],
        [2, k('ab'), 1, k('12'), 2, []],
      ]
      for (const raw of bad) {
        const at = put(raw)
        throws(() => h.open(at).get(enc('a')), isCorrupt(at), JSON.stringify(raw))
      }
    })

    it('rejects malformed packed branches', () => {
      const { h, put, low, high } = setup()
      const bad: unknown[] = [
        [3, k(''), [], [low], [2]],
        [3, k('m'), [1], [low, high], [2]],
        [3, k('m'), [1], [low, high], [2, 0]],
        [3, k('m'), [1], [low, high], [2, 2], 'extra'],
        [3, k('m'), [2], [low, high], [2, 2]],
        [3, k('mn'), [1, 1], [low, high], [2, 2]],
        [3, k('nm'), [1, 1], [low, high, high], [2, 2, 2]],
        [3, k('m'), [1], [low, 1e15], [2, 2]],
        [3, k('m'), [1], [low, k('x')], [2, 2]],
        [3, k('m'), [1], [low, 'x'], [2, 2]],
        [3, k('m'), [1], [low, high], [2, -2]],
        [3, k('m'), [1], [low, high], [2, 1.5]],
        [3, k('m'), [1], [low, high], [2, '2']],
        [3, k('m'), [1], [low, high], [Number.MAX_SAFE_INTEGER, 2]],
      ]
      for (const raw of bad) {
        const at = put(raw)
        throws(() => h.open(at).get(enc('z')), isCorrupt(at), JSON.stringify(raw))
      }
    })

    it('reads nodes written in the packed form, large values among them', () => {
      const { h, put } = setup()
      const big = h.storage.append(k('a large value'))
      const leaf = put([2, k('abbc'), [1, 2, 1], k('1c'), [1, 0, 1], [1, big]])
      // One width for every key and value.
      const last = put([2, k('x'), 1, k('9'), 1, []])
      const root = put([3, k('m'), 1, [leaf, last], [3, 1]])
      const t = h.open(root)
      equal(Buffer.from(t.get(enc('a'))!).toString(), '1')
      equal(Buffer.from(t.get(enc('bb'))!).toString(), 'a large value')
      equal(Buffer.from(t.get(enc('c'))!).toString(), 'c')
      equal(t.get(enc('b')), undefined)
      equal(
        [...t.entries()].map(([key, v]) => `${Buffer.from(key).toString()}=${Buffer.from(v).toString()}`).join(' '),
        'a=1 bb=a large value c=c x=9',
      )
      t.check()
    })

    it('reads leaf patches: keys replaced, added and deleted since their whole base', () => {
      const { h, put } = setup()
      const big = h.storage.append(k('a large value'))
      const base = put([2, k('abc'), 1, k('123'), 1, []])
      // b replaced, c deleted, d added with a value kept apart, e deleted though the base never had it.
      const patch = put([4, base, k('bcde'), 1, k('9'), [1, 0, 0, 0], [2, big], [1, 3]])
      const t = h.open(patch)
      equal(
        [...t.entries()].map(([key, v]) => `${Buffer.from(key).toString()}=${Buffer.from(v).toString()}`).join(' '),
        'a=1 b=9 d=a large value',
      )
      t.check()
    })

    it('rejects malformed leaf patches', () => {
      const { h, put, low, high } = setup()
      const big = h.storage.append(k('a large value'))
      const base = put([2, k('abc'), 1, k('123'), 1, []])
      const branch = put([3, k('m'), 1, [low, high], [2, 2]])
      const patch = put([4, base, k('b'), 1, k('9'), 1, [], []])
      const bad: unknown[] = [
        [4, base, k('b'), 1, k('9'), 1, []],
        [4, base, k('b'), 1, k('9'), 1, [], [], 'extra'],
        [4, 0, k('b'), 1, k('9'), 1, [], []],
        [4, 1e15, k('b'), 1, k('9'), 1, [], []],
        [4, 'x', k('b'), 1, k('9'), 1, [], []],
        [4, branch, k('b'), 1, k('9'), 1, [], []],
        [4, patch, k('c'), 1, k('9'), 1, [], []],
        [4, base, k(''), [], k(''), [], [], []],
        [4, base, k('cb'), 1, k('99'), 1, [], []],
        [4, base, k('bb'), 1, k('99'), 1, [], []],
        [4, base, k('b'), 1, k('99'), 1, [], []],
        [4, base, k('b'), 1, k('9'), 1, [], [0]],
        [4, base, k('bc'), 1, k(''), [0, 0], [], [1, 0]],
        [4, base, k('b'), 1, k(''), [0], [], [1]],
        [4, base, k('b'), 1, k(''), [0], [], [-1]],
        [4, base, k('b'), 1, k(''), [0], [], 'gone'],
        [4, base, k('b'), 1, k(''), [0], [0, big], [0]],
        [4, base, k('abc'), 1, k(''), [0, 0, 0], [], [0, 1, 2]],
        [4, base, k('b'), 1, k('9'), 1, [1, big], []],
      ]
      for (const raw of bad) {
        const at = put(raw)
        throws(() => h.open(at).get(enc('a')), isCorrupt(at), JSON.stringify(raw))
      }
    })

    it('refuses a crafted chain of patches at its first link, without following it', () => {
      const { h, put } = setup()
      let at = put([2, k('abc'), 1, k('123'), 1, []])
      at = put([4, at, k('b'), 1, k('9'), 1, [], []]) // a well-formed patch
      for (let i = 0; i < 20_000; i++) at = put([4, at, k('b'), 1, k('9'), 1, [], []])
      throws(
        () => h.open(at).get(enc('a')),
        (err: unknown) => isCorrupt(at)(err) && /is not a whole leaf/.test((err as Error).message),
      )
    })

    it('reads branch patches: children and counts replaced since their whole base', () => {
      const { h, put, low, high } = setup()
      const mid = put([2, k('mn'), 1, k('56'), 1, []])
      const base = put([3, k('mx'), 1, [low, mid, high], [2, 2, 2]])
      const other = put([2, k('mno'), 1, k('567'), 1, []])
      const last = put([2, k('xz'), 1, k('39'), 1, []])
      const patch = put([5, base, [1, 2], [other, last], [3, 2]])
      const t = h.open(patch)
      equal(
        [...t.entries()].map(([key, v]) => `${Buffer.from(key).toString()}=${Buffer.from(v).toString()}`).join(' '),
        'a=1 b=2 m=5 n=6 o=7 x=3 z=9',
      )
      equal(t.size, 7)
      t.check()
    })

    it('rejects malformed branch patches', () => {
      const { h, put, low, high } = setup()
      const base = put([3, k('m'), 1, [low, high], [2, 2]])
      const leaf = put([2, k('abc'), 1, k('123'), 1, []])
      const patch = put([5, base, [0], [low], [2]])
      const bad: unknown[] = [
        [5, base, [0], [low]],
        [5, base, [0], [low], [2], 'extra'],
        [5, 0, [0], [low], [2]],
        [5, 1e15, [0], [low], [2]],
        [5, 'x', [0], [low], [2]],
        [5, leaf, [0], [low], [2]],
        [5, patch, [0], [low], [2]],
        [5, base, [], [], []],
        [5, base, 'indexes', [low], [2]],
        [5, base, [0], [low, high], [2]],
        [5, base, [0], [low], [2, 2]],
        [5, base, [2], [low], [2]],
        [5, base, [-1], [low], [2]],
        [5, base, [0.5], [low], [2]],
        [5, base, [1, 0], [high, low], [2, 2]],
        [5, base, [0, 0], [low, low], [2, 2]],
        [5, base, [0], [0], [2]],
        [5, base, [0], ['low'], [2]],
        [5, base, [0], [1e15], [2]],
        [5, base, [0], [low], [0]],
        [5, base, [0], [low], [-2]],
        [5, base, [0], [low], ['2']],
        [5, base, [0], [low], [Number.MAX_SAFE_INTEGER]],
      ]
      for (const raw of bad) {
        const at = put(raw)
        throws(() => h.open(at).get(enc('a')), isCorrupt(at), JSON.stringify(raw))
      }
      // A child after the patch: children come before their parents.
      const after = put([5, base, [0], [2 ** 31], [2]])
      throws(
        () => h.open(after).get(enc('a')),
        (err: unknown) => isCorrupt(after)(err) && /is not before its parent/.test((err as Error).message),
      )
    })

    it('refuses a crafted chain of branch patches at its first link, without following it', () => {
      const { h, put, low, high } = setup()
      let at = put([3, k('m'), 1, [low, high], [2, 2]])
      at = put([5, at, [0], [low], [2]]) // a well-formed patch
      for (let i = 0; i < 20_000; i++) at = put([5, at, [0], [low], [2]])
      throws(
        () => h.open(at).get(enc('a')),
        (err: unknown) => isCorrupt(at)(err) && /is not a whole branch/.test((err as Error).message),
      )
      // Nor may a leaf patch and a branch patch be each other's base.
      const leafBase = put([2, k('abc'), 1, k('123'), 1, []])
      const leafPatch = put([4, leafBase, k('b'), 1, k('9'), 1, [], []])
      const onLeafPatch = put([5, leafPatch, [0], [low], [2]])
      throws(() => h.open(onLeafPatch).get(enc('a')), isCorrupt(onLeafPatch))
      const onBranchPatch = put([4, at, k('b'), 1, k('9'), 1, [], []])
      throws(() => h.open(onBranchPatch).get(enc('a')), isCorrupt(onBranchPatch))
    })

    it('rejects records of no node kind, the array form (kinds 0 and 1) among them', () => {
      const { h, put, low, high } = setup()
      const bad: unknown[] = ['a string', { kind: 2 }, [], [7, [], []], [0, [k('a')], [k('1')]], [1, [k('m')], [low, high], [2, 2]]]
      for (const raw of bad) {
        const at = put(raw)
        throws(() => h.open(at).get(enc('a')), isCorrupt(at), JSON.stringify(raw))
      }
      for (const kind of [0, 1, 6]) {
        const at = put([kind, k('a'), 1, k('1'), 1, []])
        throws(
          () => h.open(at).get(enc('a')),
          (err: unknown) => isCorrupt(at)(err) && /unknown node kind/.test((err as Error).message),
        )
      }
    })

    it('refuses a node that names itself as its child', () => {
      const { h, put, low } = setup()
      // An aborted append shows which address the next record will get.
      h.storage.commit(low)
      const next = put([2, k('q'), 1, k('q'), 1, []])
      h.storage.abort()
      const at = put([3, k('m'), 1, [low, next], [2, 2]])
      equal(at, next)
      throws(() => h.open(at).get(enc('z')), isCorrupt(at))
    })

    it('check() finds separators that do not bound their subtrees', () => {
      const { h, put, low, high } = setup()
      const at = put([3, k('c'), 1, [high, low], [2, 2]])
      h.open(at).get(enc('a'))
      throws(() => h.open(at).check(), isCorrupt())
    })

    it('check() finds wrong subtree counts', () => {
      const { h, put, low, high } = setup()
      const at = put([3, k('m'), 1, [low, high], [2, 3]])
      throws(() => h.open(at).check(), isCorrupt(at))
    })

    it('check() finds leaves at different depths', () => {
      const { h, put, low, high } = setup()
      const higher = put([2, k('z1z2'), 2, k('56'), 1, []])
      const inner = put([3, k('z'), 1, [high, higher], [2, 2]])
      const at = put([3, k('m'), 1, [low, inner], [2, 4]])
      throws(
        () => h.open(at).check(),
        (err: unknown) => /depth/.test((err as Error).message),
      )
    })

    it('check() finds underfull nodes off the right edge, and allows them on it', () => {
      const { h, put, low, high } = setup()
      const thin = put([2, k('a'), 1, k('1'), 1, []])
      const at = put([3, k('m'), 1, [thin, high], [1, 2]])
      h.open(at).get(enc('a'))
      throws(() => h.open(at).check(), isCorrupt(thin))
      const last = put([2, k('z'), 1, k('1'), 1, []])
      h.open(put([3, k('m'), 1, [low, last], [2, 1]])).check()
    })
  })
}
