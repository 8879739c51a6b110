// What Node loads for `import('@dbdb/dbdb')`: one bundled module per package
// (scripts/bundle.mjs), not the many files tsc writes: Node's ESM loader resolves,
// reads and links every module it loads, so fewer modules load sooner.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()
const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** The file: URLs a new process loads as modules while it imports `specifier`. */
function modulesLoadedBy(specifier: string): string[] {
  const hooks = tempFile(dir, 'hooks.mjs')
  writeFileSync(
    hooks,
    `export async function load(url, context, next) {\n  if (url.startsWith('file:')) process.stderr.write('loaded ' + url + '\\n')\n  return next(url, context)\n}\n`,
  )
  const register = tempFile(dir, 'register.mjs')
  writeFileSync(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)
  const child = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(register).href, '--input-type=module', '-e', `await import(${JSON.stringify(specifier)})`],
    {
      cwd: packageDir,
      encoding: 'utf8',
    },
  )
  expect(child.status, child.stderr).toBe(0)
  return child.stderr
    .split('\n')
    .filter((l) => l.startsWith('loaded '))
    .map((l) => l.slice('loaded '.length))
    .filter((url) => url !== pathToFileURL(register).href)
}

describe('the built package', () => {
  it('loads one module from each DBDB package it uses, each from its bundle, and not msgpackr', () => {
    const loaded = modulesLoadedBy('@dbdb/dbdb')
    // The codec has its own msgpack coder; msgpackr is not a dependency of the import.
    expect(loaded.filter((url) => url.includes('/msgpackr'))).toEqual([])
    const ours = loaded.map((url) => fileURLToPath(url)).filter((path) => !path.includes('/node_modules/.pnpm/'))
    const byPackage = new Map<string, string[]>()
    for (const path of ours) {
      const pkg = /\/packages\/([^/]+)\//.exec(path)?.[1] ?? path
      byPackage.set(pkg, [...(byPackage.get(pkg) ?? []), path])
    }
    expect([...byPackage.keys()].sort()).toEqual(['codec', 'dbdb', 'logical', 'storage', 'tree-binary', 'tree-bplus'])
    for (const [pkg, paths] of byPackage) {
      expect(paths, pkg).toHaveLength(1)
      expect(paths[0], pkg).toMatch(/\/dist\/bundle\/index\.js$/)
    }
  })
})
