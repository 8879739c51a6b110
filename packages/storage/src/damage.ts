// Damage: bytes in the file that are not a valid transaction, with intact commits
// after them. What a DamageReport holds, how the ranges are found from the commits
// after a scan's stop, and how damage is described to the user.

import { DbdbError } from './errors.js'
import type { FileHead, LaterCommit, RecordReader, ScanResult } from './file-reader.js'
import { COMMIT_UNSYNCED_BEFORE } from './format.js'

/**
 * Bytes that are not a valid transaction (a damaged record, a bad txCrc, a broken
 * chain, a hole of zeros) with intact commits after them.
 */
export interface DamageReport {
  /** First byte of the damaged range: where the transaction `txid` starts. */
  readonly start: number
  /** First byte after it: where the first intact commit after it starts its transaction. */
  readonly end: number
  /** The transaction the damage starts in (one after the last intact commit before it). */
  readonly txid: number
  /** txids of the intact commits that follow it, up to the next damage or the end. */
  readonly commitsAfter: readonly number[]
  /**
   * True when every commit after it says its writer did not sync what came before it
   * (durability 'none'): then a crash may have torn it, and it counts as a torn tail
   * (the next writer cuts it off, with the commits after it). False: those commits
   * were written after it was on disk, so it is corruption, never cut off.
   */
  readonly torn: boolean
}

/**
 * How far past a record header of zeros recovery and a writer taking the lock look
 * for bytes that are not zero (a hole with something after it, rather than reserved
 * space, which runs to the end of the file): one small read.
 */
export const ZERO_LOOK = 64 * 1024

/**
 * DURABILITY: where a scan stopped short of the end of the file, tells a torn tail
 * from damage. It looks at everything up to `size` for intact later commits: none
 * means a torn tail (or reserved zeros). With some, the scan looks again first (a
 * writer may have been committing while it read), and what remains is damage. Each
 * commit record says whether its writer had synced what came before it
 * (COMMIT_UNSYNCED_BEFORE clear): if any commit after the damage had, the damaged
 * bytes were on disk, whole, before it was written, so no crash tore them. Only
 * when none had (durability 'none') may the damage be a torn write, and `torn` is set.
 *
 * Only a commit whose txid is above the one after the head's counts: the transaction
 * the scan stopped in has a txid above the head's, and a commit written after it a
 * greater one still (its own record, intact, says so). A commit past the head with a
 * txid no greater than the head's plus one was never written on top of the head: it
 * is what is left of an older tail that a writer has written a transaction of its
 * own over, and cutting it off loses nothing of the head's history.
 */
export function lookPast(
  reader: RecordReader,
  fileId: Buffer,
  scanned: ScanResult,
  size: number,
): { scanned: ScanResult; later: LaterCommit[]; damage: DamageReport[] } {
  for (let attempt = 0; ; attempt++) {
    if (scanned.stop === 'end') return { scanned, later: [], damage: [] }
    const found = reader.laterCommits(scanned.head, scanned.stoppedAt, fileId, size)
    if (found.length === 0) return { scanned, later: [], damage: [] }
    // Without the lock a writer may be committing meanwhile: the scan stopped in a
    // transaction still being written, which was whole, with commits after it, by
    // the time the rest of the file was read. Damage stays where it is: only a scan
    // that stops at the same place again has found it. One that keeps moving is
    // following a writer, and what it reached is the head.
    const again = reader.scan(scanned.head, fileId, size)
    if (again.head.txid === scanned.head.txid) {
      const after = scanned.head.txid + 1
      const later = found.filter((c) => c.txid > after)
      return { scanned, later, damage: later.length === 0 ? [] : damageRegions(scanned, later) }
    }
    if (attempt === 3) return { scanned: again, later: [], damage: [] }
    scanned = again
  }
}

/**
 * DURABILITY: the lock found bytes past the newest commit `head` that are not
 * reserved zeros. Before they are cut off, make sure no intact commit follows them:
 * that would make them damage (see lookPast), and truncating would destroy commits.
 */
export function refuseToCutOffCommits(reader: RecordReader, fileId: Buffer, filePath: string, head: FileHead, size: number): void {
  const scanned: ScanResult = { head, stoppedAt: head.end, stop: 'other', stopAt: head.end }
  const damage = lookPast(reader, fileId, scanned, size).damage[0]
  if (damage !== undefined && !damage.torn) throw damaged(filePath, damage)
}

export function newestOf(commits: readonly LaterCommit[]): FileHead {
  const c = commits.reduce((a, b) => (b.txid > a.txid ? b : a))
  return Object.freeze({ txid: c.txid, root: c.root, time: c.time, address: c.address, end: c.end })
}

/**
 * The damaged ranges that `later` (intact commits past where `scanned` stopped, in
 * file order) reveal: one before the first of them, and one before each commit that
 * does not continue the run before it.
 */
export function damageRegions(scanned: ScanResult, later: readonly LaterCommit[]): DamageReport[] {
  const regions: Array<{ start: number; txid: number; commits: LaterCommit[] }> = []
  let previous: LaterCommit | undefined
  for (const c of later) {
    if (previous === undefined || c.txStart !== previous.end || c.txid <= previous.txid) {
      regions.push({ start: previous?.end ?? scanned.stoppedAt, txid: (previous?.txid ?? scanned.head.txid) + 1, commits: [] })
    }
    regions.at(-1)!.commits.push(c)
    previous = c
  }
  return regions.map((r, i) => {
    const first = r.commits[0]!
    // Every commit from this region on: any written after a sync proves the damage was on disk.
    const after = regions.slice(i).flatMap((x) => x.commits)
    return Object.freeze({
      start: r.start,
      end: first.txStart > r.start ? first.txStart : first.end,
      txid: r.txid,
      commitsAfter: Object.freeze(r.commits.map((c) => c.txid)),
      torn: after.every((c) => (c.flags & COMMIT_UNSYNCED_BEFORE) !== 0),
    })
  })
}

/** "35 to 40", or "35, 37" when they do not run on. */
function txidList(txids: readonly number[]): string {
  const runsOn = txids.every((t, i) => i === 0 || t === txids[i - 1]! + 1)
  return txids.length > 2 && runsOn ? `${txids[0]} to ${txids.at(-1)}` : txids.join(', ')
}

export function describeDamage(d: DamageReport): string {
  return (
    `transaction ${d.txid} (from address ${d.start}) is damaged: bytes ${d.start} to ${d.end} are not a valid transaction, ` +
    `and intact commits follow them (transaction${d.commitsAfter.length === 1 ? '' : 's'} ${txidList(d.commitsAfter)}), ` +
    'written after they were on disk: corruption, not a torn write'
  )
}

export function damaged(filePath: string, d: DamageReport): DbdbError {
  return new DbdbError(
    'DBDB_CORRUPT',
    `${filePath}: ${describeDamage(d)}. Nothing was cut off; open it read-only to read the newest commit, ` +
      'or copy what is readable into a new file with salvage (dbdb salvage)',
    { address: d.start },
  )
}
