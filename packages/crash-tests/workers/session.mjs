// A database handle in another process, driven step by step by the test: it opens
// the database once (before the test compacts it) and then runs commands, each
// given as a file CMD_DIR/cmd-<n>.json (written atomically by the test) and
// answered with one line
//   result <n> <JSON>
// Every command runs in a new task (the handle polls for the next file with
// setTimeout), as in an ordinary program. Errors are answered, not thrown:
// { error: code, message }. Commands ({ op, ... }):
//   txid                              -> { txid }
//   entries  { range? }               -> { txid, entries }
//   get      { key }                  -> { value, has }
//   write    { set?: {k: v}, del?: [k] } -> { txid } (one commit)
//   snapshot { name }                 -> { txid, entries } (kept open under `name`)
//   snapEntries { name }              -> { txid, entries }
//   history                           -> { txids }
//   at       { txid }                 -> { entries }
//   waitFor  { key, timeoutMs }       -> { txid, value } once a read finds `key` set (one
//                                        read per task), or { timedOut: true }
//   backup   { dest }                 -> { txid }
//   close                             -> {} and the process exits
// Usage: node session.mjs FILE CMD_DIR [OPEN_OPTIONS_JSON]
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { open } from '@dbdb/dbdb'
import { line, parentGone } from './common.mjs'

const [file, cmdDir, openOptions] = process.argv.slice(2)
const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

const db = open(file, openOptions === undefined ? {} : JSON.parse(openOptions))
const snaps = new Map()
line(`opened ${db.txid}`)

const commands = {
  txid: () => ({ txid: db.txid }),
  entries: ({ range }) => {
    const entries = [...db.entries(range ?? {})]
    return { txid: db.txid, entries }
  },
  get: ({ key }) => ({ value: db.get(key) ?? null, has: db.has(key) }),
  write: ({ set = {}, del = [] }) => {
    for (const [k, v] of Object.entries(set)) db.set(k, v)
    for (const k of del) db.delete(k)
    const info = db.commit()
    return { txid: info?.txid ?? null }
  },
  snapshot: ({ name }) => {
    const snap = db.snapshot()
    snaps.set(name, snap)
    return { txid: snap.txid, entries: [...snap.entries()] }
  },
  snapEntries: ({ name }) => {
    const snap = snaps.get(name)
    return { txid: snap.txid, entries: [...snap.entries()] }
  },
  history: () => ({ txids: db.history().map((h) => h.txid) }),
  at: ({ txid }) => {
    const snap = db.at(txid)
    try {
      return { entries: [...snap.entries()] }
    } finally {
      snap.close()
    }
  },
  waitFor: async ({ key, timeoutMs }) => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline && !parentGone()) {
      const value = db.get(key)
      if (value !== undefined) return { txid: db.txid, value }
      await tick()
    }
    return { timedOut: true }
  },
  backup: ({ dest }) => ({ txid: db.backup(dest).txid }),
  close: () => {
    for (const s of snaps.values()) s.close()
    db.close()
    return {}
  },
}

for (let n = 0; ; n++) {
  const cmdFile = join(cmdDir, `cmd-${n}.json`)
  while (!existsSync(cmdFile)) {
    if (parentGone()) process.exit(2)
    await tick()
  }
  const cmd = JSON.parse(readFileSync(cmdFile, 'utf8'))
  let result
  try {
    const fn = commands[cmd.op]
    if (fn === undefined) throw new Error(`unknown command ${cmd.op}`)
    result = await fn(cmd)
  } catch (err) {
    result = { error: err?.code ?? 'unknown', message: String(err?.stack ?? err).slice(0, 1500) }
  }
  line(`result ${n} ${JSON.stringify(result)}`)
  if (cmd.op === 'close') break
}
