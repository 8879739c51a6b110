// open(): the one way in. Opens (or creates) the file, reconciles the options
// with what the file records, and hands back the database handle.

import { FileStorage } from '@dbdb/storage'
import { Database } from './database.js'
import { removeLeftover } from './leftover.js'
import { metaFor, type OpenOptions, reconcile, resolveOptions } from './options.js'

// biome-ignore lint/suspicious/noExplicitAny: values default to any, as a Map's do: a handle holds whatever its codec stores
export function open<V = any>(path: string, options?: OpenOptions & { keyEncoding?: 'utf8' }): Database<string, V>
// biome-ignore lint/suspicious/noExplicitAny: as above
export function open<V = any>(path: string, options: OpenOptions & { keyEncoding: 'binary' }): Database<Uint8Array, V>
// biome-ignore lint/suspicious/noExplicitAny: the implementation behind both signatures
export function open(path: string, options: OpenOptions = {}): Database<any, any> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string')
  const resolved = resolveOptions(options)
  const storageOptions = { ...resolved.storage, meta: metaFor(resolved) }
  // Only this first open may create exclusively; reopening after a compaction opens what is there.
  const storage = FileStorage.open(path, { ...storageOptions, exclusive: resolved.errorIfExists })
  try {
    const parts = reconcile(path, storage.meta, resolved)
    if (!storage.readOnly) removeLeftover(storage, 'skip')
    return new Database({
      storage,
      reopen: () => FileStorage.open(path, storageOptions),
      lockTimeoutMs: resolved.storage.lockTimeoutMs,
      ...parts,
      keys: resolved.keys,
      cacheBytes: resolved.cacheBytes,
      maxQueuedBytes: resolved.maxQueuedBytes,
    })
  } catch (err) {
    storage.close()
    throw err
  }
}
