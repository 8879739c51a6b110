// The write path through a real file: a transaction reaches the OS as a few large
// writes and one sync, and a small commit into a big tree writes O(height) nodes.
import * as fs from 'node:fs'
import { msgpackCodec } from '@dbdb/codec'
import { NodeCache } from '@dbdb/logical'
import { COMMIT_RECORD, FileStorage } from '@dbdb/storage'
import { countingFileIO } from '@dbdb/storage/testing'
import { bplusTree } from '@dbdb/tree-bplus'
import { describe, expect, it } from 'vitest'
import { tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()

describe('the write path', () => {
  it('a 200,000-key transaction reaches the OS in a few large writes and one sync; a 3-key commit writes O(height) nodes', () => {
    const { io, calls } = countingFileIO()
    const reset = (): void => {
      calls.writes.length = 0
      calls.syncs = 0
    }
    const written = (): number => calls.writes.reduce((sum, length) => sum + length, 0)
    const storage = FileStorage.open(tempFile(dir), { io })
    const context = { storage, codec: msgpackCodec, cache: new NodeCache(16 << 20) }
    const head = storage.lock()
    const tree = bplusTree.open(context, head.root)
    const value = new Uint8Array(100).fill(7)
    for (let i = 0; i < 200_000; i++) tree.set(Buffer.from(`key${String((i * 7919) % 200_000).padStart(8, '0')}`), value)
    reset()
    storage.commit(tree.commit())
    storage.unlock()
    const dataWrites = calls.writes.length - 1 // the last one is the superblock checkpoint (over 1 MiB was committed)
    console.log(`[write path] 200k keys: ${written()} bytes in ${dataWrites} data writes, ${calls.syncs} sync(s)`)
    expect(calls.syncs).toBe(1)
    expect(dataWrites).toBeLessThanOrEqual(Math.ceil(written() / (4 * 1024 * 1024)) + 1)

    // The first small commit that grows the file also reserves zeros after it (see
    // FileStorage); the next ones write into that space.
    const first = bplusTree.open(context, storage.lock().root)
    reset()
    first.set(Buffer.from('key00000002'), Uint8Array.of(2))
    storage.commit(first.commit())
    storage.unlock()
    expect(calls.syncs).toBe(1)
    expect(fs.statSync(storage.path).size).toBeGreaterThan(storage.head().address + COMMIT_RECORD + (1 << 20))

    const again = bplusTree.open(context, storage.lock().root)
    reset()
    for (const k of ['key00000001', 'key00123456', 'key00199999']) again.set(Buffer.from(k), Uint8Array.of(1))
    storage.commit(again.commit())
    storage.unlock()
    const height = again.height
    const nodeBytes = 64 * (11 + 9 + 100) + 100 // a full leaf of 64 entries, roughly
    console.log(`[write path] 3 keys into 200k (height ${height}): ${written()} bytes in ${calls.writes.length} writes`)
    expect(calls.syncs).toBe(1)
    expect(calls.writes.length).toBe(1) // the transaction: the superblock is checkpointed once a MiB has been committed
    expect(written()).toBeLessThan(3 * height * nodeBytes + 4096 + 100)
    storage.close()
  }, 60_000)
})
