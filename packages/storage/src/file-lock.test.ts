// The writer lock on real files, between handles, threads and processes: who
// excludes whom, what the kernel does when a holder dies, what the lock does not
// do (it is advisory; it ignores flock), waiting for it without blocking the event
// loop, a release that fails, and a platform with no binary for it.
//
// Other threads and processes load the built bundle (dist/), as a user's would.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DbdbError, type DbdbErrorCode } from './errors.js'
import type { FileIO } from './file-io.js'
import { LOCK_OFFSET, loadLock, nativeLock, prebuiltBinary } from './file-lock.js'
import { FileStorage, type FileStorageOptions } from './file-storage.js'

const dist = new URL('../dist/bundle/index.js', import.meta.url).href
const hasFlock = process.platform === 'linux' && spawnSync('flock', ['--version']).status === 0
if (!hasFlock) console.log('file-lock.test: the flock(1) tests are skipped: they need Linux and util-linux flock on PATH')

let dir: string
let file: string
const handles: FileStorage[] = []
const children: ChildProcess[] = []

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdb-lock-'))
  file = path.join(dir, 'lock.db')
})

afterEach(() => {
  for (const s of handles.splice(0)) s.close()
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  fs.rmSync(dir, { recursive: true, force: true })
})

function openStorage(options: FileStorageOptions = {}): FileStorage {
  const s = FileStorage.open(file, options)
  handles.push(s)
  return s
}

function codeOf(fn: () => unknown): DbdbErrorCode | string {
  try {
    fn()
  } catch (err) {
    return err instanceof DbdbError ? err.code : String(err)
  }
  return 'no error'
}

async function rejection(promise: Promise<unknown>): Promise<DbdbErrorCode | string> {
  try {
    await promise
  } catch (err) {
    return err instanceof DbdbError ? err.code : String(err)
  }
  return 'no error'
}

function commitOne(s: FileStorage, byte: number): number {
  s.lock()
  const txid = s.commit(s.append(new Uint8Array([byte]))).txid
  s.unlock()
  return txid
}

/**
 * Another process that opens the file, takes the lock, prints "locked", and on each
 * line of stdin: "release" unlocks (prints "released"), "exit" closes and exits.
 */
class Holder {
  readonly proc: ChildProcess
  #out = ''
  #waiters: Array<{ text: string; resolve: () => void }> = []

  constructor(target: string) {
    const script =
      `import { FileStorage } from ${JSON.stringify(dist)}; import { createInterface } from 'node:readline'; ` +
      `const s = FileStorage.open(${JSON.stringify(target)}); s.lock(); console.log('locked'); ` +
      `for await (const l of createInterface({ input: process.stdin })) { ` +
      `if (l === 'release') { s.unlock(); console.log('released') } else { s.close(); process.exit(0) } }`
    this.proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] })
    children.push(this.proc)
    this.proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#out += chunk
      this.#waiters = this.#waiters.filter((w) => {
        if (!this.#out.includes(w.text)) return true
        w.resolve()
        return false
      })
    })
  }

  /** Resolves once the process printed `text` (rejects if it exits first). */
  saw(text: string): Promise<void> {
    if (this.#out.includes(text)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.#waiters.push({ text, resolve })
      this.proc.once('exit', (code, signal) => reject(new Error(`holder exited (${code ?? signal}) before printing ${text}: ${this.#out}`)))
    })
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`)
  }

  exited(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => this.proc.once('exit', () => resolve()))
  }
}

describe('the writer lock excludes', () => {
  it('a second handle in the same process, as another process would be', async () => {
    const first = openStorage({ lockTimeoutMs: 30 })
    const second = openStorage({ lockTimeoutMs: 30 })
    first.lock()
    expect(codeOf(() => second.lock())).toBe('DBDB_LOCKED')
    expect(await rejection(second.lockAsync())).toBe('DBDB_LOCKED')
    // Asynchronously, a second handle in the same thread can wait for the first.
    const waiting = second.lockAsync(60_000)
    first.commit(first.append(new Uint8Array([1])))
    first.unlock()
    expect((await waiting).txid).toBe(1)
    expect(second.locked).toBe(true)
    expect(codeOf(() => first.lock())).toBe('DBDB_LOCKED')
  })

  it("the shared lock a read-only handle's backup takes, which a writer excludes and which delays a writer only while held", () => {
    const writer = openStorage({ lockTimeoutMs: 30 })
    writer.lock()
    writer.commit(writer.append(new Uint8Array([1])))
    const reader = openStorage({ readOnly: true, lockTimeoutMs: 30 })
    // The writer holds the lock (a commit could be in flight): the backup copies the commit before it.
    expect(reader.backup(path.join(dir, 'while-locked.db')).txid).toBe(0)
    writer.unlock()
    expect(reader.backup(path.join(dir, 'unlocked.db')).txid).toBe(1)
    // The read-only descriptor takes the shared lock, and a writer is excluded while it is held.
    const lock = nativeLock()
    const fd = fs.openSync(file, 'r')
    try {
      lock(fd, 'share')
      expect(codeOf(() => writer.lock())).toBe('DBDB_LOCKED')
      lock(fd, 'unlock')
      writer.lock()
      writer.unlock()
    } finally {
      fs.closeSync(fd)
    }
  })

  it('a worker thread, and is free for this one once the worker releases it', async () => {
    openStorage().close() // create the file
    const main = openStorage({ lockTimeoutMs: 30 })
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');` +
        `import(${JSON.stringify(dist)}).then(({ FileStorage }) => {` +
        `  const s = FileStorage.open(${JSON.stringify(file)}); s.lock(); parentPort.postMessage('locked');` +
        `  parentPort.once('message', () => { s.unlock(); parentPort.postMessage('released'); parentPort.once('message', () => s.close()) })` +
        `})`,
      { eval: true },
    )
    try {
      const next = (): Promise<unknown> =>
        new Promise((resolve, reject) => {
          worker.once('message', resolve)
          worker.once('error', reject)
        })
      expect(await next()).toBe('locked')
      expect(codeOf(() => main.lock())).toBe('DBDB_LOCKED')
      worker.postMessage('release')
      expect(await next()).toBe('released')
      expect(main.lock().txid).toBe(0)
      worker.postMessage('close')
    } finally {
      await worker.terminate()
    }
  })

  it('whichever way the native module is loaded (its own loader or the binary directly)', () => {
    openStorage().close()
    const a = fs.openSync(file, 'r+')
    const b = fs.openSync(file, 'r+')
    try {
      const fast = loadLock('fast')
      const viaPackage = loadLock('package')
      fast(a, 'lock')
      fast(a, 'lock') // again, by the holder: still held, no error
      expect(() => viaPackage(b, 'lock')).toThrow(expect.objectContaining({ code: 'EAGAIN' }))
      fast(a, 'unlock')
      viaPackage(b, 'lock')
      expect(() => fast(a, 'lock')).toThrow(expect.objectContaining({ code: 'EAGAIN' }))
    } finally {
      fs.closeSync(a)
      fs.closeSync(b)
    }
    expect(LOCK_OFFSET).toBe(Number.MAX_SAFE_INTEGER + 1)
  })
})

describe('loading the lock', () => {
  it("finds the binary in the package Node's resolution finds, and none in a folder that holds no package", () => {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('fs-native-extensions/package.json'))
    const binary = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node')
    expect(fs.realpathSync(prebuiltBinary()!)).toBe(fs.realpathSync(binary))
    expect(prebuiltBinary(dir)).toBeUndefined()
  })

  it('for a writing open, in a new process, loads the binary itself: not through require(), whose first use there costs more', () => {
    openStorage().close()
    const script =
      `import { FileStorage } from ${JSON.stringify(dist)}; import { createRequire } from 'node:module'; ` +
      `const s = FileStorage.open(${JSON.stringify(file)}); s.lock(); s.unlock(); s.close(); ` +
      `console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const required = JSON.parse(r.stdout.trim()) as string[]
    expect(required.filter((k) => k.includes('fs-native-extensions'))).toEqual([])
  })
})

describe('the kernel', () => {
  it('releases the lock of a process killed with SIGKILL', async () => {
    openStorage().close()
    const holder = new Holder(file)
    await holder.saw('locked')
    const s = openStorage({ lockTimeoutMs: 30 })
    expect(codeOf(() => s.lock())).toBe('DBDB_LOCKED')
    holder.proc.kill('SIGKILL')
    await holder.exited()
    expect(s.lock(60_000).txid).toBe(0)
  })
})

describe('what the lock does not do', () => {
  it('is advisory: a process that does not take it can still write the file, and readers never need it', () => {
    const writer = openStorage()
    commitOne(writer, 1)
    writer.lock()
    const reader = openStorage({ readOnly: true })
    expect(reader.head().txid).toBe(1)
    expect([...reader.read(reader.head().root)]).toEqual([1])
    const fd = fs.openSync(file, 'r+')
    try {
      expect(fs.writeSync(fd, Buffer.from('not locked out'), 0, 14, fs.fstatSync(fd).size)).toBe(14)
    } finally {
      fs.closeSync(fd)
    }
  })

  it.skipIf(!hasFlock)('does not interact with flock(2) on Linux, either way', async () => {
    const s = openStorage({ lockTimeoutMs: 30 })
    s.lock()
    // flock -n fails at once with status 1 if the file is flock-ed by someone else.
    expect(spawnSync('flock', ['-n', file, 'true']).status).toBe(0)
    s.unlock()
    const sleeper = spawn('flock', ['-n', file, 'sh', '-c', 'echo held; read line'], { stdio: ['pipe', 'pipe', 'inherit'] })
    children.push(sleeper)
    await new Promise<void>((resolve) => sleeper.stdout!.once('data', () => resolve()))
    expect(s.lock().txid).toBe(0)
    sleeper.stdin!.end('\n')
  })
})

describe('lockAsync', () => {
  it('lets timers run while it waits for another process, and resolves to the newest head once it may write', async () => {
    const s = openStorage()
    commitOne(s, 1)
    const holder = new Holder(file)
    await holder.saw('locked')
    let ticks = 0
    // The holder releases only after this process's timers fired five times during
    // the wait: an acquire that blocked the event loop would never see the release.
    const timer = setInterval(() => {
      if (++ticks === 5) holder.send('release')
    }, 5)
    try {
      const head = await s.lockAsync(60_000)
      expect(ticks).toBeGreaterThanOrEqual(5)
      expect(head).toEqual(s.knownHead)
      expect(head.txid).toBe(1)
      expect(s.locked).toBe(true)
      expect(s.commit(s.append(new Uint8Array([2]))).txid).toBe(2)
      s.unlock()
    } finally {
      clearInterval(timer)
      holder.send('exit')
      await holder.exited()
    }
  })

  it('rejects with DBDB_LOCKED after its timeout, and with DBDB_CLOSED if the handle closes meanwhile', async () => {
    openStorage().close()
    const holder = new Holder(file)
    await holder.saw('locked')
    try {
      const s = openStorage()
      let ticks = 0
      const timer = setInterval(() => ticks++, 1)
      const code = await rejection(s.lockAsync(50))
      clearInterval(timer)
      expect(code).toBe('DBDB_LOCKED')
      expect(ticks).toBeGreaterThan(0)
      expect(s.locked).toBe(false)

      const waiting = s.lockAsync(60_000)
      s.close()
      expect(await rejection(waiting)).toBe('DBDB_CLOSED')
    } finally {
      holder.send('exit')
      await holder.exited()
    }
  })
})

describe('lockAsync and lock() on one handle', () => {
  it('leaves alone a transaction that lock() began while lockAsync waited', async () => {
    const first = openStorage()
    const second = openStorage()
    first.lock()
    const waiting = second.lockAsync(60_000)
    first.unlock()
    second.lock()
    const root = second.append(new Uint8Array([3]))
    expect((await waiting).txid).toBe(0)
    expect(second.commit(root).txid).toBe(1)
    expect([...second.read(root)]).toEqual([3])
  })
})

describe('a release that fails', () => {
  it('does not make a durable commit throw; the handle refuses to write on, and closing drops the lock', () => {
    openStorage().close()
    const real = nativeLock()
    let failRelease = false
    const io: FileIO = Object.assign(Object.create(fs) as FileIO, {
      lockSync(fd: number, op: 'lock' | 'unlock'): void {
        if (op === 'unlock' && failRelease) throw Object.assign(new Error('ENOLCK: no locks available'), { code: 'ENOLCK' })
        real(fd, op)
      },
    })
    const s = FileStorage.open(file, { io, lockTimeoutMs: 30 })
    handles.push(s)
    s.lock()
    const root = s.append(new Uint8Array([7]))
    expect(s.commit(root).txid).toBe(1)
    failRelease = true
    expect(() => s.unlock()).not.toThrow()
    expect(s.locked).toBe(false)

    const other = openStorage({ lockTimeoutMs: 30 })
    expect(other.head().txid).toBe(1)
    // The release failed, so the kernel may still hold the lock for `s`: it does here.
    expect(codeOf(() => other.lock())).toBe('DBDB_LOCKED')
    const refused = codeOf(() => s.lock())
    expect(refused).toBe('DBDB_IO')
    expect(() => s.lock()).toThrow(/releasing the writer lock .* failed .*ENOLCK.*close and reopen/)
    // Reading still works.
    expect([...s.read(s.head().root)]).toEqual([7])
    s.close()
    expect(other.lock().txid).toBe(1)
  })
})

describe('where no binary of the lock loads', () => {
  const script = (target: string, bundle: string): string =>
    `import { FileStorage } from ${JSON.stringify(bundle)}; const out = {}; ` +
    `try { FileStorage.open(${JSON.stringify(target)}).close(); out.write = 'opened' } catch (e) { out.write = e.code; out.message = e.message } ` +
    `const r = FileStorage.open(${JSON.stringify(target)}, { readOnly: true }); out.txid = r.head().txid; out.byte = r.read(r.head().root)[0]; r.close(); ` +
    `console.log(JSON.stringify(out))`

  const run = (preload: string, bundle = dist): { write: string; message?: string; txid: number; byte: number } => {
    const r = spawnSync(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(preload)}`, '--input-type=module', '-e', script(file, bundle)],
      // Without NODE_PATH (pnpm sets one that holds every package of the workspace): where Node looks is where the bundle is.
      { encoding: 'utf8', env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_PATH')) },
    )
    expect(r.status, r.stderr).toBe(0)
    return JSON.parse(r.stdout.trim()) as { write: string; message?: string; txid: number; byte: number }
  }

  beforeEach(() => {
    const s = openStorage()
    commitOne(s, 9)
    s.close()
  })

  it('(a platform without a prebuilt binary) refuses to open for writing with DBDB_LOCK_UNAVAILABLE, and reads', () => {
    const out = run(`Object.defineProperty(process, 'arch', { value: 'mips' })`)
    expect(out.write).toBe('DBDB_LOCK_UNAVAILABLE')
    expect(out.message).toMatch(/fs-native-extensions.*linux-mips.*readOnly: true/s)
    expect(out).toMatchObject({ txid: 1, byte: 9 })
  })

  it('(the module not installed) likewise', () => {
    // The bundle alone, in a folder that no node_modules with the module is above.
    const copy = path.join(dir, 'bundle', 'index.js')
    fs.mkdirSync(path.dirname(copy))
    fs.copyFileSync(new URL(dist), copy)
    expect(prebuiltBinary(path.dirname(copy))).toBeUndefined()
    const out = run('', pathToFileURL(copy).href)
    expect(out.write).toBe('DBDB_LOCK_UNAVAILABLE')
    expect(out.message).toMatch(/Cannot find module 'fs-native-extensions'/)
    expect(out).toMatchObject({ txid: 1, byte: 9 })
  })

  it('and the file is not created', () => {
    const fresh = path.join(dir, 'fresh.db')
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(`Object.defineProperty(process, 'arch', { value: 'mips' })`)}`,
        '--input-type=module',
        '-e',
        `import { FileStorage } from ${JSON.stringify(dist)}; try { FileStorage.open(${JSON.stringify(fresh)}) } catch (e) { console.log(e.code) }`,
      ],
      { encoding: 'utf8' },
    )
    expect(r.stdout.trim()).toBe('DBDB_LOCK_UNAVAILABLE')
    expect(fs.existsSync(fresh)).toBe(false)
  })
})
