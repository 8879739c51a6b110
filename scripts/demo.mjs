#!/usr/bin/env node
// The quick start's demo: DBDB's main job, end to end. Creates a database file,
// writes and reads it through the API and through the `dbdb` command, and says
// what it did at each step.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { open } from '@dbdb/dbdb'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const file = join(root, 'demo.db')
const cli = join(root, 'packages', 'cli', 'dist', 'main.js')
const show = (what, value) => console.log(`  ${what.padEnd(44)} ${value}`)

rmSync(file, { force: true })
console.log(`DBDB demo: ${relative(process.cwd(), file) || file}\n`)

console.log('Through the API (@dbdb/dbdb):')
const db = open(file) // B+ tree, MessagePack, fsync on every commit
try {
  db.set('dog:rex', { name: 'Rex', breed: 'collie', good: true })
  db.set('dog:fido', { name: 'Fido', breed: 'beagle', good: true })
  db.set('cat:tom', { name: 'Tom', good: false })
  const info = db.commit()
  show('set 3 keys, commit()', `-> txid ${info.txid}, ${info.size} keys`)
  db.transaction(() => {
    const rex = db.get('dog:rex')
    db.set('dog:rex', { ...rex, tricks: ['sit', 'stay'] })
  })
  show('transaction(): read-modify-write dog:rex', JSON.stringify(db.get('dog:rex')))
  show("keys({ gte: 'dog:', lt: 'dog;' })", JSON.stringify([...db.keys({ gte: 'dog:', lt: 'dog;' })]))
  db.set('cat:tom', 'not committed')
  db.rollback()
  show('set then rollback(): cat:tom is still', JSON.stringify(db.get('cat:tom')))
  show(
    'history()',
    db
      .history()
      .map((c) => `txid ${c.txid}: ${c.size} keys`)
      .join(', '),
  )
  // Async writes: the 20 calls of this turn form one group, one commit and one fdatasync.
  const before = db.txid
  await Promise.all(Array.from({ length: 20 }, (_, i) => db.setAsync(`visit:${i}`, { at: i })))
  const visits = await db.transactionAsync(() => db.count({ gte: 'visit:', lt: 'visit;' }))
  show('setAsync() × 20 in one turn (group commit)', `-> ${visits} keys visit:*, ${db.txid - before} commit, one fdatasync`)
} finally {
  db.close()
}

console.log('\nThrough the dbdb command (pnpm dbdb ...):')
const dbdb = (...args) => {
  try {
    const out = execFileSync(process.execPath, [cli, file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    return { code: 0, out: out.trimEnd() }
  } catch (err) {
    return { code: err.status, out: String(err.stderr).trimEnd() }
  }
}
for (const args of [
  ['set', 'greeting', 'hello, world'],
  ['get', 'greeting'],
  ['get', 'dog:fido', '--json'],
  ['delete', 'greeting'],
  ['get', 'greeting'],
]) {
  const { code, out } = dbdb(...args)
  show(`dbdb demo.db ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`, `exit ${code}${out ? `: ${out}` : ''}`)
}

const reader = open(file, { readOnly: true })
console.log('')
show('reopened read-only: keys', `${reader.size} (${[...reader.keys()].join(', ')}), txid ${reader.txid}`)
reader.close()
console.log(`\nThe database is ${file}; try: pnpm dbdb demo.db get dog:rex --json`)
