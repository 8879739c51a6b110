// Command-line options of `pnpm bench`.

import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')

import { CONCURRENT_USAGE } from './concurrent/run.mjs'

export const USAGE = `usage: pnpm bench [-- options]
  --n N              entries bulk-loaded (default 200000)
  --runs R           child processes per store; figures are medians (default 3)
  --only LIST        comma list of targets or prefixes, e.g. dbdb-bplus-msgpack-fsync,sqlite
                     (the better-sqlite3 baselines needed for ratios are always added)
  --list             print the targets and exit
  --seed S           data seed (default 42)
  --gets G           random point gets, 10% misses (default: N)
  --commits C        small commits, one new key each (default 2000)
  --ranges K         range scans (default 1000)
  --range-length L   entries per range scan (default 1000)
  --rounds W         rounds of overwriting every key (default 5)
  --out DIR          where results go (default packages/bench/results)
  --tmp DIR          where stores are created (default the OS temp dir; must be a real disk)
  --timeout SEC      per child process (default 1800)
  --no-latest        do not update results/latest.{md,json,svg}
  --no-concurrent    skip the concurrent writers workload
  --concurrent-only  run only the concurrent writers workload
${CONCURRENT_USAGE}`

function int(name, v, min = 0) {
  const x = Number(v)
  if (!Number.isSafeInteger(x) || x < min) throw new Error(`${name} must be an integer >= ${min}, not ${JSON.stringify(v)}`)
  return x
}

export function parseArgs(argv) {
  const o = {
    n: 200_000,
    runs: 3,
    only: '',
    seed: 42,
    gets: undefined,
    commits: 2000,
    ranges: 1000,
    rangeLength: 1000,
    rounds: 5,
    out: join(packageDir, 'results'),
    tmp: tmpdir(),
    timeout: 1800,
    latest: true,
    concurrent: true,
    concurrentOnly: false,
    concurrentArgs: [],
    list: false,
    help: false,
  }
  const args = argv.filter((a) => a !== '--')
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    const [flag, inline] =
      a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const value = () => {
      if (inline !== undefined) return inline
      if (i + 1 >= args.length) throw new Error(`${flag} needs a value`)
      return args[++i]
    }
    switch (flag) {
      case '--n':
        o.n = int('--n', value(), 1)
        break
      case '--runs':
        o.runs = int('--runs', value(), 1)
        break
      case '--only':
        o.only = value()
        break
      case '--seed':
        o.seed = int('--seed', value())
        break
      case '--gets':
        o.gets = int('--gets', value())
        break
      case '--commits':
        o.commits = int('--commits', value())
        break
      case '--ranges':
        o.ranges = int('--ranges', value())
        break
      case '--range-length':
        o.rangeLength = int('--range-length', value(), 1)
        break
      case '--rounds':
        o.rounds = int('--rounds', value())
        break
      case '--out':
        o.out = resolve(value())
        break
      case '--tmp':
        o.tmp = resolve(value())
        break
      case '--timeout':
        o.timeout = int('--timeout', value(), 1)
        break
      case '--no-latest':
        o.latest = false
        break
      case '--no-concurrent':
        o.concurrent = false
        break
      case '--concurrent-only':
        o.concurrentOnly = true
        break
      case '--writers':
      case '--writes':
      case '--stores':
        o.concurrentArgs.push(flag, value())
        break
      case '--list':
        o.list = true
        break
      case '--help':
      case '-h':
        o.help = true
        break
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`)
    }
  }
  o.gets ??= o.n
  return o
}
