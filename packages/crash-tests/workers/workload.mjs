// The kill-writer workload: commit number i (which is transaction id i, since the
// workload starts on an empty database and every commit changes something) does
//   set k<i> = i, set last = i, and when i is a multiple of 3, delete k<i/3>;
// in 'big' mode it also overwrites 20,000 keys big00000..big19999 with ~1 KB
// strings naming i (about 20 MB per commit: several times the storage's 4 MiB write
// buffer, so a commit reaches the file in several writes before its commit record).
// So the exact content after any txid is known: expectedEntries(txid, mode).

export const BIG_KEYS = 20_000
const PAD = 'x'.repeat(1000)

export function bigKey(n) {
  return `big${String(n).padStart(5, '0')}`
}

export function bigValue(i) {
  return `${i}:${PAD}`
}

/** The key commit i deletes, if any. */
export function deletedBy(i) {
  return i % 3 === 0 ? `k${i / 3}` : undefined
}

/** Makes commit number i's changes on `db` (a write transaction; the caller commits). */
export function applyCommit(db, i, mode) {
  db.set(`k${i}`, i)
  db.set('last', i)
  const gone = deletedBy(i)
  if (gone !== undefined) db.delete(gone)
  if (mode === 'big') {
    const value = bigValue(i)
    for (let n = 0; n < BIG_KEYS; n++) db.set(bigKey(n), value)
  }
}

/** Every [key, value] of the database right after commit `txid`, in key order. */
export function expectedEntries(txid, mode) {
  if (txid === 0) return []
  const out = []
  // k<j> was set by commit j and deleted by commit 3j.
  for (let j = 1; j <= txid; j++) if (3 * j > txid) out.push([`k${j}`, j])
  out.push(['last', txid])
  if (mode === 'big') {
    const value = bigValue(txid)
    for (let n = 0; n < BIG_KEYS; n++) out.push([bigKey(n), value])
  }
  // Keys are ASCII, so UTF-16 order is byte order.
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}
