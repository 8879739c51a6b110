// When a handle sees commits it did not make (freshness.ts): this process's at once;
// another process's at the first read of a task, and within one synchronous run once a
// millisecond has passed, even when the program only waited in between. open() itself
// is its task's look at the file.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { FileStorage } from '@dbdb/storage'
import { countingFileIO } from '@dbdb/storage/testing'
import { describe, expect, it, vi } from 'vitest'
import { open } from './index.js'
import { composeDatabase, tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const dist = fileURLToPath(new URL('../dist/bundle/index.js', import.meta.url))

/** Sets `key` to `value` from another process, synchronously. */
function setElsewhere(file: string, key: string, value: number): void {
  const code = `import { open } from ${JSON.stringify(dist)}; const db = open(${JSON.stringify(file)}); db.set(${JSON.stringify(key)}, ${value}); db.commit(); db.close()`
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
  expect(run.status, run.stderr).toBe(0)
}

describe('freshness: reads and other processes’ commits', () => {
  it('open() is its task’s look at the file: neither it nor the first read looks again, a read in a later task does', async () => {
    const file = tempFile(dir)
    const writer = open(file)
    writer.set('k', 1)
    writer.commit()
    writer.close()
    // A look is one read of the newest commit record and the 9 bytes after it
    // (FileStorage's refresh); the open's last read is one.
    const { io, calls } = countingFileIO()
    let lookLength = -1
    const looks = (): number => calls.reads.filter((length) => length === lookLength).length
    // Within one synchronous run a look also stands for only a millisecond; hold the
    // clock still so that a preemption between open and the first read (a busy
    // machine) cannot make that read look again, correctly but not what this tests.
    const now = vi.spyOn(performance, 'now').mockReturnValue(performance.now())
    // What open() composes, with the storage reading through `io`.
    const storage = FileStorage.open(file, { io })
    lookLength = calls.reads.at(-1)!
    expect(looks()).toBe(1) // the storage's open
    const db = composeDatabase(file, { io }, {}, storage)
    expect(db.get('k')).toBe(1)
    expect(looks()).toBe(1)
    now.mockRestore()
    await new Promise((resolve) => setImmediate(resolve))
    expect(db.get('k')).toBe(1)
    expect(looks()).toBe(2)
    db.close()
  })

  it('a read in the same synchronous run sees a commit that finished more than 1 ms before it', () => {
    const file = tempFile(dir)
    const db = open(file)
    db.set('k', 0)
    db.commit()
    for (let i = 1; i <= 20; i++) {
      expect(db.get('k')).toBe(i - 1)
      setElsewhere(file, 'k', i) // a child process: far more than 1 ms, no new task here
      expect(db.get('k')).toBe(i)
    }
    db.close()
  })

  it('a commit by another handle of this process is seen by the next read, without waiting', () => {
    const file = tempFile(dir)
    const db = open(file)
    db.set('k', 0)
    db.commit()
    const other = open(file)
    for (let i = 1; i <= 20; i++) {
      expect(db.get('k')).toBe(i - 1)
      other.set('k', i)
      other.commit()
      expect(db.get('k')).toBe(i)
    }
    other.close()
    db.close()
  })
})
