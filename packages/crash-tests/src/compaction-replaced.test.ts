// Compaction from a handle whose file is no longer the one at its path
// (docs/ARCHITECTURE.md, "Compaction protocol"): a handle is open in this process;
// another process removes the file and creates a new database there, or restores a
// backup over it with mv. The old handle's compact() must fail with DBDB_MOVED and
// leave the new file at the path as it is, instead of renaming the old data over it.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { open } from '@dbdb/dbdb'
import { afterEach, describe, expect, it } from 'vitest'
import { codeOf, makeTempDir, removeDir, WORKERS } from './harness.js'

let dir: string | undefined
afterEach(() => {
  removeDir(dir)
  dir = undefined
})

/** Runs a command in a child process; it must succeed. */
function run(command: string, args: string[]): void {
  const child = spawnSync(command, args, { encoding: 'utf8' })
  expect(child.stderr, `${command} ${args.join(' ')}`).toBe('')
  expect(child.status).toBe(0)
}

/** Sets keys in another process (workers/ops.mjs: one transaction). */
function setElsewhere(file: string, set: Record<string, unknown>): void {
  run(process.execPath, [join(WORKERS, 'ops.mjs'), file, JSON.stringify({ set })])
}

describe('compaction of a file that was replaced at its path', () => {
  it('rm + a new database by another process: compact() fails with DBDB_MOVED and the new file keeps its data', () => {
    dir = makeTempDir('replaced')
    const file = join(dir, 'app.db')
    const db = open(file)
    for (let i = 0; i < 200; i++) db.set(`old${i}`, i)
    db.commit()
    run('rm', [file])
    setElsewhere(file, { fresh: 1 })
    expect(codeOf(() => db.compact())).toBe('DBDB_MOVED')
    expect(existsSync(`${file}.compacting`)).toBe(false)
    db.close()
    const now = open(file, { readOnly: true })
    expect(now.get('fresh')).toBe(1)
    expect(now.has('old0')).toBe(false)
    expect(now.check().ok).toBe(true)
    now.close()
  })

  it('a backup restored with mv over the file: compact() fails with DBDB_MOVED and the restore stays', () => {
    dir = makeTempDir('restored')
    const file = join(dir, 'app.db')
    const backup = join(dir, 'backup.db')
    const db = open(file)
    db.set('v', 'backed up')
    db.commit()
    db.backup(backup)
    db.set('v', 'after the backup')
    db.commit()
    run('mv', [backup, file])
    expect(codeOf(() => db.compact())).toBe('DBDB_MOVED')
    db.close()
    const now = open(file, { readOnly: true })
    expect(now.get('v')).toBe('backed up')
    now.close()
  })

  it('the file removed and nothing new at the path: DBDB_MOVED, and nothing is put back there', () => {
    dir = makeTempDir('removed')
    const file = join(dir, 'app.db')
    const db = open(file)
    db.set('v', 1)
    db.commit()
    run('rm', [file])
    expect(codeOf(() => db.compact())).toBe('DBDB_MOVED')
    db.close()
    expect(existsSync(file)).toBe(false)
    expect(existsSync(`${file}.compacting`)).toBe(false)
  })
})
