// What every crash test needs: worker processes with line-based stdout, a registry
// that kills whatever is still running, temp dirs, trial counts and summaries.

import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const WORKERS = join(dirname(fileURLToPath(import.meta.url)), '..', 'workers')

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A worker script running in its own Node process. */
export class Worker {
  readonly name: string
  readonly proc: ChildProcess
  /** Complete stdout lines so far. */
  readonly lines: string[] = []
  /** Resolves once the process has exited and its pipes are drained. */
  readonly exited: Promise<Exit>
  #stdout = ''
  #stderr = ''
  #partial = ''
  #waiters: Array<{ test: (line: string) => boolean; resolve: (line: string | undefined) => void }> = []
  #done = false

  /** `under`: a command to run node under (e.g. strace and its options), given node's path, the script and `args`. */
  constructor(script: string, args: readonly string[], env?: NodeJS.ProcessEnv, under: readonly string[] = []) {
    this.name = `${script} ${args.join(' ')}`
    const [command, ...argv] = [...under, process.execPath, join(WORKERS, script), ...args]
    this.proc = spawn(command!, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ?? process.env,
    })
    live.add(this)
    this.proc.stdout!.setEncoding('utf8')
    this.proc.stderr!.setEncoding('utf8')
    this.proc.stdout!.on('data', (chunk: string) => {
      this.#stdout += chunk
      const parts = (this.#partial + chunk).split('\n')
      this.#partial = parts.pop()!
      for (const l of parts) this.#line(l)
    })
    this.proc.stderr!.on('data', (chunk: string) => {
      this.#stderr += chunk
    })
    this.exited = new Promise<Exit>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.#done) return
        this.#done = true
        live.delete(this)
        for (const w of this.#waiters.splice(0)) w.resolve(undefined)
        resolve({ code, signal, stdout: this.#stdout, stderr: this.#stderr })
      }
      this.proc.on('close', finish)
      this.proc.on('error', (err) => {
        this.#stderr += `spawn error: ${err.message}\n`
        finish(null, null)
      })
    })
  }

  get running(): boolean {
    return !this.#done && this.proc.exitCode === null && this.proc.signalCode === null
  }

  /** The first line (already seen or coming) that passes `test`; undefined if the process ends first. */
  waitForLine(test: (line: string) => boolean): Promise<string | undefined> {
    const seen = this.lines.find(test)
    if (seen !== undefined) return Promise.resolve(seen)
    if (this.#done) return Promise.resolve(undefined)
    return new Promise((resolve) => this.#waiters.push({ test, resolve }))
  }

  /** SIGKILL now (if still running). */
  kill(): void {
    if (this.running) this.proc.kill('SIGKILL')
  }

  #line(l: string): void {
    this.lines.push(l)
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(l)) return true
      w.resolve(l)
      return false
    })
  }
}

const live = new Set<Worker>()

/** A session.mjs process: a database handle in another process, one command at a time. */
export class Session {
  readonly worker: Worker
  readonly #dir: string
  #n = 0

  /** `dir`: made here, for the command files; `options`: open()'s, for the session's handle. */
  constructor(file: string, dir: string, options: Record<string, unknown> = {}) {
    this.#dir = dir
    mkdirSync(dir)
    this.worker = spawnWorker('session.mjs', [file, dir, JSON.stringify(options)])
  }

  /** The command's result as the session gives it: `{ error, message }` when the command failed. */
  // biome-ignore lint/suspicious/noExplicitAny: a worker's JSON reply, whose shape the op decides
  async call(op: string, args: Record<string, unknown> = {}): Promise<any> {
    const n = this.#n++
    const tmp = join(this.#dir, `cmd-${n}.tmp`)
    writeFileSync(tmp, JSON.stringify({ op, ...args }))
    renameSync(tmp, join(this.#dir, `cmd-${n}.json`))
    const l = await this.worker.waitForLine((x) => x.startsWith(`result ${n} `))
    if (l === undefined) {
      const exit = await this.worker.exited
      throw new Error(`the session process died during ${op}: ${exit.code ?? exit.signal} ${exit.stderr}`)
    }
    return JSON.parse(l.slice(`result ${n} `.length))
  }

  /** call(), but a failed command throws. */
  // biome-ignore lint/suspicious/noExplicitAny: a worker's JSON reply, whose shape the op decides
  async run(op: string, args: Record<string, unknown> = {}): Promise<any> {
    const result = await this.call(op, args)
    if (result.error !== undefined) throw new Error(`${op} failed in the session: ${result.error} ${result.message}`)
    return result
  }
}

export function spawnWorker(script: string, args: readonly string[], env?: NodeJS.ProcessEnv, under?: readonly string[]): Worker {
  return new Worker(script, args, env, under)
}

/** The worker's last stdout line as JSON (its final report); undefined when it printed none, or not JSON. */
export function lastJson<T>(w: Worker): T | undefined {
  const last = w.lines.at(-1)
  try {
    return last === undefined ? undefined : (JSON.parse(last) as T)
  } catch {
    return undefined
  }
}

/** Kills every worker still running and waits for them to be gone (for afterEach). */
export async function killAll(): Promise<void> {
  const workers = [...live]
  for (const w of workers) w.kill()
  await Promise.all(workers.map((w) => w.exited))
}

/** A fresh private directory under the OS temp dir; remove with removeDir. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `dbdb-crash-${prefix}-`))
}

export function removeDir(dir: string | undefined): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** True when the long (stress) versions run: DBDB_STRESS=1. */
export const STRESS = process.env.DBDB_STRESS !== undefined && process.env.DBDB_STRESS !== '' && process.env.DBDB_STRESS !== '0'

/**
 * How many trials a test runs: DBDB_TRIALS_<NAME> (e.g. DBDB_TRIALS_KILL_WRITER=500),
 * else DBDB_TRIALS, else `stress` under DBDB_STRESS=1, else `quick`.
 */
export function trialCount(name: string, quick: number, stress: number): number {
  const specific = process.env[`DBDB_TRIALS_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`]
  for (const v of [specific, process.env.DBDB_TRIALS]) {
    if (v !== undefined && v !== '') {
      const n = Number(v)
      if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`trial count must be a positive integer, got ${v}`)
      return n
    }
  }
  return STRESS ? stress : quick
}

/**
 * The seed of trial `t` of a test seeded with `seed`: trials are independent, so one
 * failing trial replays alone with DBDB_SEED=<seed> DBDB_ONLY_TRIAL=<t>.
 */
export function trialSeed(seed: number, t: number): number {
  return (seed + Math.imul(t + 1, 0x9e3779b9)) >>> 0
}

/** The trial numbers to run: all of 0..count-1, or just DBDB_ONLY_TRIAL. */
export function trialNumbers(count: number): number[] {
  const only = process.env.DBDB_ONLY_TRIAL
  if (only !== undefined && only !== '') return [Number(only)]
  return Array.from({ length: count }, (_, t) => t)
}

/** Outcome tallies of one test, printed and (for stress.mjs) appended to DBDB_CRASH_SUMMARY. */
export interface Summary {
  test: string
  /** The test's seed; absent for tests with no randomness. */
  seed?: number
  trials: number
  failed: number
  outcomes: Record<string, number>
}

export function report(summary: Summary): void {
  const outcomes = Object.entries(summary.outcomes)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  console.log(
    `[trials] ${summary.test}: ${summary.trials} trials, ${summary.failed} failed${summary.seed === undefined ? '' : ` (DBDB_SEED=${summary.seed})`} ${outcomes}`,
  )
  const file = process.env.DBDB_CRASH_SUMMARY
  if (file) appendFileSync(file, `${JSON.stringify(summary)}\n`)
}

export function tally(outcomes: Record<string, number>, key: string): void {
  outcomes[key] = (outcomes[key] ?? 0) + 1
}

/** A per-test timeout that grows with the trial count. */
export function timeoutFor(trials: number, msPerTrial: number, base = 60_000): number {
  return base + trials * msPerTrial
}

/** The error code `fn` throws (or the error's text), or undefined when it does not throw. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
  return undefined
}
