export { DbdbLevel, type DatabaseOptions, type OpenOptions, type DbdbOptions } from './dbdb-level.js'
export type { DbdbSnapshot } from './snapshot.js'
