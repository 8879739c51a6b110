// When a handle sees commits it did not make (freshness.ts): this process's at once;
// another process's at the first read of a task, and within one synchronous run once a
// millisecond has passed, even when the program only waited in between.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { open } from './index.js'
import { tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

/** Sets `key` to `value` from another process, synchronously. */
function setElsewhere(file: string, key: string, value: number): void {
  const code = `import { open } from ${JSON.stringify(dist)}; const db = open(${JSON.stringify(file)}); db.set(${JSON.stringify(key)}, ${value}); db.commit(); db.close()`
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
  expect(run.status, run.stderr).toBe(0)
}

describe('freshness: reads and other processes’ commits', () => {
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
