export { corrupt, DbdbError, type DbdbErrorCode, isDbdbError, isSystemError } from './errors.js'
export { syncDirectory } from './file-create.js'
export { type FileIO, nodeFileIO } from './file-io.js'
export {
  type BackupOptions,
  type CommitOptions,
  type DamageReport,
  FileStorage,
  type FileStorageOptions,
  type SlotReport,
  type StorageReport,
} from './file-storage.js'
export { COMMIT_RECORD, DATA_START, FORMAT_VERSION, MAGIC, SLOT_SIZE } from './format.js'
export { MemoryStorage } from './memory-storage.js'
export type { Durability, Head, Storage, StorageMeta } from './storage.js'
