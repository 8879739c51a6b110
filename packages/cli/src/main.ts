#!/usr/bin/env node
// Entry point of the `dbdb` command.
import { run } from './cli.js'

process.exitCode = run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
})
