// Shared by the crash, corruption and fuzz tests: databases built on a SimDisk
// with a record of what each commit wrote, and the checks that a reopened file
// holds exactly one of those commits.

import { expect } from 'vitest'
import { DbdbError, type DbdbErrorCode } from './errors.js'
import { FileStorage, type FileStorageOptions } from './file-storage.js'
import { COMMIT_RECORD } from './format.js'
import type { Head } from './storage.js'
import { prng, randomBytes, SimDisk } from './testing/index.js'

export const DB = '/db/test.db'

export interface Written {
  readonly address: number
  readonly bytes: Buffer
}

export interface Commit {
  /** time 0: unknown (a commit that was in flight when the disk crashed). */
  readonly head: Head
  /** File size right after this commit. */
  readonly end: number
  /** What this transaction appended. */
  readonly records: readonly Written[]
}

/** Commits in txid order: commits[t - 1] has txid t. */
export type History = readonly Commit[]

export function openDb(disk: SimDisk, options: FileStorageOptions = {}): FileStorage {
  return FileStorage.open(DB, { io: disk, lockTimeoutMs: 0, ...options })
}

/** Appends `records` and commits with `root` (an index into them, or an address). */
export function commitRecords(s: FileStorage, records: readonly Uint8Array[], root: { index: number } | { address: number }): Commit {
  const written = records.map((r) => ({ address: s.append(r), bytes: Buffer.from(r) }))
  const head = s.commit('index' in root ? written[root.index]!.address : root.address)
  return { head, end: head.address + COMMIT_RECORD, records: written }
}

/** Asserts that `s` is at exactly commit `txid` of `history`, with every record of it and before it intact. */
export function expectAtCommit(s: FileStorage, history: History, txid: number): void {
  const head = s.head()
  expect(head.txid).toBe(txid)
  if (txid === 0) {
    expect(head).toEqual({ txid: 0, root: 0, time: 0, address: 0 })
    return
  }
  const expected = history[txid - 1]!.head
  // A commit whose commit() never returned (it was in flight at a crash) has an unknown time, recorded as 0.
  expect(head).toEqual({ ...expected, time: expected.time === 0 ? head.time : expected.time })
  for (const commit of history.slice(0, txid)) {
    for (const { address, bytes } of commit.records) {
      const got = s.read(address)
      if (!bytes.equals(got)) throw new Error(`record ${address} of txid ${commit.head.txid} reads back wrong`)
    }
  }
  expect([...s.history()].map((h) => h.txid)).toEqual(
    history
      .slice(0, txid)
      .map((c) => c.head.txid)
      .reverse(),
  )
}

/** The bytes of the record at `address`, as written. */
export function writtenAt(history: History, address: number): Buffer | undefined {
  for (const commit of history) {
    for (const r of commit.records) if (r.address === address) return r.bytes
  }
  return undefined
}

/** Runs `fn`; returns the DbdbError code it threw, or undefined if it returned. Any other error is rethrown. */
export function dbdbCode(fn: () => unknown): DbdbErrorCode | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    if (err instanceof DbdbError) return err.code
    throw err
  }
}

export function expectCode(fn: () => unknown, code: DbdbErrorCode): DbdbError {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof DbdbError)) throw err
    expect(err.code).toBe(code)
    return err
  }
  throw new Error(`expected ${code}, but nothing was thrown`)
}

/** Opens `image` as the database file of a fresh SimDisk. */
export function openImage(image: Uint8Array, options: FileStorageOptions = {}): FileStorage {
  const disk = new SimDisk()
  disk.writeFile(DB, image)
  return openDb(disk, options)
}

function treeNode(addresses: readonly number[]): Buffer {
  const node = Buffer.alloc(4 * addresses.length)
  for (const [i, a] of addresses.entries()) node.writeUInt32LE(a, 4 * i)
  return node
}

/** The addresses a root record made by treeNode() points at. */
export function children(node: Uint8Array): number[] {
  const buf = Buffer.from(node)
  return Array.from({ length: buf.length / 4 }, (_, i) => buf.readUInt32LE(4 * i))
}

/** Appends `leaves` and a root listing `keep` and the new leaves; commits it. */
function commitTree(s: FileStorage, leaves: readonly Buffer[], keep: readonly number[]): Commit {
  const written = leaves.map((bytes) => ({ address: s.append(bytes), bytes }))
  const bytes = treeNode([...keep, ...written.map((w) => w.address)])
  const root = { address: s.append(bytes), bytes }
  const head = s.commit(root.address)
  return { head, end: head.address + COMMIT_RECORD, records: [...written, root] }
}

export interface SmallDb {
  /** The disk after the last commit (its checkpoint not yet synced). */
  readonly disk: SimDisk
  readonly history: History
  /** images[t]: the file right after commit t (and its checkpoint); images[0]: the new file. */
  readonly images: readonly Buffer[]
  /** The records reachable from the newest root, the root first. */
  readonly reachable: readonly Written[]
}

/**
 * Four commits of a tiny tree: each root record lists the addresses of its
 * leaves, and later roots share leaves of earlier commits (as a real tree does).
 */
export function buildSmallDb(seed = 1): SmallDb {
  const rand = prng(seed)
  const leaf = (n: number): Buffer => randomBytes(rand, n)
  const disk = new SimDisk()
  const s = openDb(disk)
  const images = [disk.readFile(DB)]
  const history: Commit[] = []
  const step = (leaves: Buffer[], keep: (h: Commit[]) => number[]): void => {
    history.push(commitTree(s, leaves, keep(history)))
    // A checkpoint after every commit, so both slots point at the newest two (commits
    // alone checkpoint only every SYNCED_CHECKPOINT_BYTES; sync() always does).
    s.sync()
    images.push(disk.readFile(DB))
  }
  s.lock()
  step([leaf(40), leaf(60)], () => [])
  step([leaf(30)], (h) => [h[0]!.records[0]!.address])
  step([leaf(50), leaf(20)], (h) => [h[0]!.records[1]!.address, h[1]!.records[0]!.address])
  step([leaf(35)], (h) => [h[0]!.records[0]!.address, h[2]!.records[1]!.address])
  s.close()
  const all = history.flatMap((c) => c.records)
  const newest = history.at(-1)!.records.at(-1)!
  const reachable = [newest, ...children(newest.bytes).map((a) => all.find((w) => w.address === a)!)]
  return { disk, history, images, reachable }
}
