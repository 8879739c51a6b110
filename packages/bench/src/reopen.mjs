#!/usr/bin/env node
// A fresh process that opens a closed store and reads one key:
//   node reopen.mjs <store> <variant> <dir> <key-hex> <expected-value-hex>
// Times the import of the store's module, and then open + first get (a user's cold
// start is both).

import { loadAdapter } from './adapters/index.mjs'
import { targetById } from './targets.mjs'

const [family, variant, dir, keyHex, expectedHex] = process.argv.slice(2)
try {
  const i0 = performance.now()
  const adapter = await loadAdapter(family)
  const importMs = performance.now() - i0
  const key = Buffer.from(keyHex, 'hex')
  const t0 = performance.now()
  const store = await adapter.open(dir, targetById(variant))
  let v = store.get(key)
  if (v instanceof Promise) v = await v
  const ms = performance.now() - t0
  const got = v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v)
  await store.close()
  process.stdout.write(`${JSON.stringify({ ms, importMs, ok: got === expectedHex, got })}\n`)
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: `${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}` })}\n`)
}
