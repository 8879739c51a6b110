// Async writers worker: one process, W concurrent writers, each looping over
// transactionAsync of three keys (w<W>:<i>:0..2, all set to i, and w<W>:last = i).
// After each promise resolves (the group holding it is durable) it prints
//   acked <w> <i>
// and goes on until killed. Usage: node async-writers.mjs FILE WRITERS
import { open } from '@dbdb/dbdb'
import { line, parentGone } from './common.mjs'

const [file, writers] = process.argv.slice(2)
const db = open(file)
line('opened')

async function writer(w) {
  for (let i = 1; ; i++) {
    await db.transactionAsync((d) => {
      for (let k = 0; k < 3; k++) d.set(`w${w}:${i}:${k}`, i)
      d.set(`w${w}:last`, i)
    })
    line(`acked ${w} ${i}`)
    if (i % 64 === 0 && parentGone()) process.exit(0)
  }
}

Promise.all(Array.from({ length: Number(writers) }, (_, w) => writer(w))).catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n${err?.code ? `code: ${err.code}\n` : ''}`)
  process.exit(1)
})
