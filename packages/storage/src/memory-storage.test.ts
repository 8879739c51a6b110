import { describe, expect, it } from 'vitest'
import { MemoryStorage } from './memory-storage.js'

describe('MemoryStorage', () => {
  it('reads back what was appended and commits a root', () => {
    const s = new MemoryStorage()
    s.lock()
    const a = s.append(Uint8Array.of(1, 2, 3))
    expect([...s.read(a)]).toEqual([1, 2, 3])
    const head = s.commit(a)
    expect(head.txid).toBe(1)
    expect(s.head().root).toBe(a)
  })
})
