#!/usr/bin/env node
// Entry point of the `dbdb` command. Output goes straight to file descriptors 1
// and 2 with synchronous writes (stdout gathered into 64 KiB writes), so a large
// dump is written as it is read, never queued in memory, and stops quietly when
// the reader goes away (EPIPE).
import { isatty } from 'node:tty'
import { run } from './cli.js'
import { FdWriter, isBrokenPipe } from './io.js'
import { EXIT } from './verb.js'

const stdout = new FdWriter(1)
const stderr = new FdWriter(2, 0)
const stderrIsTTY = isatty(2)

let code = run(process.argv.slice(2), {
  stdout: (text) => stdout.write(text),
  stderr: (text) => stderr.write(text),
  progress: {
    isTTY: stderrIsTTY,
    // Only asked on a terminal; touching process.stderr otherwise is not needed.
    get columns() {
      return stderrIsTTY ? process.stderr.columns : undefined
    },
    write: (text) => stderr.write(text),
  },
})
try {
  stdout.flush()
} catch (err) {
  if (!isBrokenPipe(err)) {
    stderr.write(`dbdb: cannot write the output: ${(err as Error).message}\n`)
    code = EXIT.DB_ERROR
  }
}
process.exitCode = code
