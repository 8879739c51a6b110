#!/usr/bin/env node
// Bundles a package's compiled modules into one module per entry point, run after
// `tsc -b` from the package's folder (its `build` script).
//
// Why: Node 20's ESM loader pays for every module it resolves, reads and links, and
// tsc writes dozens of small modules per package, so a cold `import('@dbdb/dbdb')`
// would spend its time in the loader (the bench's `import` column measures it).
//
// Entries are read from package.json: every `exports` target and `bin` under
// ./dist/bundle/ is built from tsc's output at the same path without `bundle/`
// (./dist/bundle/index.js from ./dist/index.js). Every bare import (node:*, the
// sibling @dbdb/* packages, fs-native-extensions, any other dependency) stays an import, so each package's
// code, and any state a module keeps, exists once however packages are combined.
// Source maps chain through tsc's, so stack traces and debuggers show src/*.ts.

import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { rolldown } from 'rolldown'

const pkgDir = process.cwd()
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
const OUT = './dist/bundle/'

/** Every path under ./dist/bundle/ that package.json points at. */
function targets(node) {
  if (typeof node === 'string') return node.startsWith(OUT) ? [node] : []
  if (node === null || typeof node !== 'object') return []
  return Object.values(node).flatMap(targets)
}

const input = {}
for (const target of new Set([...targets(pkg.exports), ...targets(pkg.bin)])) {
  const name = target.slice(OUT.length).replace(/\.js$/, '')
  input[name] = resolve(pkgDir, 'dist', `${name}.js`)
}
if (Object.keys(input).length === 0) throw new Error(`${pkg.name}: no exports or bin under ${OUT} to bundle`)

// Every other entry (testing/, main.js) is made to import the main one, so that the
// code they share stays in the main entry's module, which exports it under extra
// names ('allow-extension' below): a user who imports only the main entry loads one
// module, not it plus a chunk of shared code. (An import is hoisted wherever it
// stands; added at the end it leaves tsc's line mappings as they are.)
const MAIN = 'index'
const secondary = new Set(input[MAIN] === undefined ? [] : Object.values(input).filter((path) => path !== input[MAIN]))

/** Loads tsc's output with its source map, so the bundle's map leads on to src/*.ts. */
const tscOutput = {
  name: 'tsc-output',
  load(id) {
    if (!id.endsWith('.js')) return null
    let code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n')
    if (secondary.has(id)) code += `import ${JSON.stringify(input[MAIN])}\n`
    if (!existsSync(`${id}.map`)) return { code }
    const map = JSON.parse(readFileSync(`${id}.map`, 'utf8'))
    // tsc's sources are relative to the map's folder; make them absolute for the chain.
    map.sources = map.sources.map((s) => resolve(dirname(id), map.sourceRoot ?? '', s))
    delete map.sourceRoot
    return { code, map }
  },
}

const bundle = await rolldown({
  input,
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
  plugins: [tscOutput],
  preserveEntrySignatures: 'allow-extension',
  logLevel: 'warn',
})
await bundle.write({
  dir: resolve(pkgDir, OUT),
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: 'shared-[hash].js',
  sourcemap: true,
})
await bundle.close()
