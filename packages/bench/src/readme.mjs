#!/usr/bin/env node
// `pnpm --filter @dbdb/bench readme`: redraws the results tables of the READMEs (the
// repository's and this package's) from results/latest.json and
// results/latest-concurrent.json, between their `<!-- bench:NAME:start -->` and
// `<!-- bench:NAME:end -->` markers (see report/readme.mjs). Runs nothing.
// `--check` changes no file and exits 1 when a README is not what the results give.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fillBlocks, renderers } from './report/readme.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const pkg = resolve(here, '..')
const root = resolve(pkg, '..', '..')

/** The READMEs that carry results blocks. */
export const READMES = [join(root, 'README.md'), join(pkg, 'README.md')]

const readJson = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined)

/** Every README as it is and as the results make it. */
export function regenerate({ results = join(pkg, 'results'), readmes = READMES } = {}) {
  const render = renderers({
    latest: readJson(join(results, 'latest.json')),
    concurrent: readJson(join(results, 'latest-concurrent.json')),
  })
  return readmes.map((path) => {
    const before = readFileSync(path, 'utf8')
    return { path, before, after: fillBlocks(before, render, relative(root, path)) }
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check')
  const unknown = process.argv.slice(2).filter((a) => a !== '--check' && a !== '--')
  if (unknown.length) {
    process.stderr.write(`unknown argument ${unknown[0]}\nusage: readme [--check]\n`)
    process.exit(1)
  }
  let stale = 0
  for (const { path, before, after } of regenerate()) {
    const name = relative(root, path)
    if (before === after) {
      process.stderr.write(`${name}: up to date\n`)
    } else if (check) {
      stale++
      process.stderr.write(`${name}: its results tables differ from results/latest*.json (run: pnpm --filter @dbdb/bench readme)\n`)
    } else {
      writeFileSync(path, after)
      process.stderr.write(`${name}: tables redrawn\n`)
    }
  }
  if (stale) process.exitCode = 1
}
