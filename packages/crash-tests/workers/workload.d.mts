export type Mode = 'small' | 'big'
export const BIG_KEYS: number
export function bigKey(n: number): string
export function bigValue(i: number): string
export function deletedBy(i: number): string | undefined
export function applyCommit(db: { set(key: string, value: unknown): unknown; delete(key: string): boolean }, i: number, mode: Mode): void
export function expectedEntries(txid: number, mode: Mode): Array<[string, number | string]>
