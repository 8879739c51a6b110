// Temp directories for tests that use real files.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { msgpackCodec } from '@dbdb/codec'
import { FileStorage, type FileStorageOptions } from '@dbdb/storage'
import { bplusTree } from '@dbdb/tree-bplus'
import { afterEach } from 'vitest'
import { Database } from './database.js'
import { utf8Keys } from './key-encoding.js'

/** A fresh directory for each test, removed after it. */
export function useTempDir(): () => string {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })
  return () => (dir ??= mkdtempSync(join(tmpdir(), 'dbdb-test-')))
}

export function tempFile(dir: () => string, name = 'test.db'): string {
  return join(dir(), name)
}

/** The error code `fn` throws (its name for an error without one), or undefined when it does not throw. */
export function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).name
  }
  return undefined
}

/**
 * A handle composed as open() composes the defaults (B+ tree, msgpack, utf8 keys),
 * with its storage opened with `storageOptions` (a FileIO that counts or fails calls,
 * say), or over `storage` when the test opened it first.
 */
export function composeDatabase(
  file: string,
  storageOptions: FileStorageOptions,
  parts: { lockTimeoutMs?: number; cacheBytes?: number; maxQueuedBytes?: number } = {},
  storage: FileStorage = FileStorage.open(file, storageOptions),
): Database<string, any> {
  return new Database<string, any>({
    storage,
    reopen: () => FileStorage.open(file, storageOptions),
    lockTimeoutMs: parts.lockTimeoutMs ?? storageOptions.lockTimeoutMs ?? 5000,
    tree: bplusTree,
    codec: msgpackCodec,
    valueCodec: msgpackCodec,
    keys: utf8Keys,
    cacheBytes: parts.cacheBytes,
    maxQueuedBytes: parts.maxQueuedBytes,
  })
}
