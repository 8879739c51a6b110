export { type DatabaseOptions, DbdbLevel, type DbdbOptions, type OpenOptions } from './dbdb-level.js'
export type { DbdbSnapshot } from './snapshot.js'
