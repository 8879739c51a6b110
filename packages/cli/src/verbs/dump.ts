// dump: the database (or a range of it) as JSON lines, the format load reads.

import { jsonLine } from '../format.js'
import { progress } from '../progress.js'
import { RANGE_OPTIONS, rangeFromOptions } from '../range.js'
import { EXIT, type Verb } from '../verb.js'

export const dump: Verb = {
  name: 'dump',
  args: [],
  options: RANGE_OPTIONS,
  summary: 'write keys and values to stdout as JSON lines, for load',
  details: [
    'One line a key, {"key":...,"value":...}, in key order. Values JSON cannot carry as they are (byte arrays) are written',
    'as {"key":...,"base64":...}, which load reads back as bytes. The dump streams from one',
    'snapshot: it holds one key at a time, and later commits do not show up in it.',
    'Piped into a command that stops reading early (head), it stops quietly.',
  ],
  examples: ['dbdb app.db dump > app.jsonl', 'dbdb app.db dump --prefix user: | dbdb users.db load', 'dbdb app.db dump | head -n 3'],
  opens: 'read',
  run({ file, options, open, out }) {
    const range = rangeFromOptions(options)
    const db = open()
    const snapshot = db.snapshot()
    const bar = progress(out.progress, `dumping ${file}`)
    try {
      // Counting is cheap on the B+ tree but a walk on others: only for a bar somebody sees.
      if (bar.active) bar.total = snapshot.count(range)
      let n = 0
      for (const [key, value] of snapshot.entries(range)) {
        out.stdout(jsonLine(key, value))
        bar.update(++n)
      }
    } finally {
      bar.finish()
      snapshot.close()
    }
    return EXIT.OK
  },
}
