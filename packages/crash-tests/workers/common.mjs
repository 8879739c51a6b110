// Helpers shared by the worker scripts. Workers talk to the test through stdout, one
// line per event, written with writeSync so that a line is in the pipe before the
// next step starts: a SIGKILL right after "acked 7" can never swallow that line.
import { existsSync, writeSync } from 'node:fs'

/** Writes one line to stdout, synchronously. */
export function line(text) {
  const buf = Buffer.from(`${text}\n`)
  let done = 0
  while (done < buf.length) done += writeSync(1, buf, done)
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks for `ms` milliseconds. */
export function sleep(ms) {
  Atomics.wait(sleeper, 0, 0, ms)
}

const parent = process.ppid

/**
 * True once the test process that started this worker is gone (it crashed or was
 * killed): workers that loop check it, so nothing lingers after a broken run.
 */
export function parentGone() {
  try {
    process.kill(parent, 0)
    return false
  } catch (err) {
    return err?.code === 'ESRCH'
  }
}

/** The start signal: polls (every 0.5 ms or so) until the file exists. */
export function waitForFile(path, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!existsSync(path)) {
    if (Date.now() > deadline || parentGone()) throw new Error(`start signal ${path} never came`)
    sleep(0.5)
  }
}

/** Runs `main`, reporting any error on stderr with exit code 1. */
export function run(main) {
  try {
    main()
  } catch (err) {
    process.stderr.write(`${err?.stack ?? err}\n${err?.code ? `code: ${err.code}\n` : ''}`)
    process.exit(1)
  }
}
