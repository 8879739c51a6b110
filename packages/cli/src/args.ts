// The command line parser: `--flag`, `--opt value`, `--opt=value`, `--` to end
// options, and `--help`/`-h` anywhere before `--`. Everything else (including
// `-` and words like `-v`) is a positional argument. Unknown options are errors.

/** A wrong command line: exit 1, with the verb's usage on stderr. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export interface OptionSpec {
  /** Without the dashes: 'limit' is `--limit`. */
  readonly name: string
  /** Name of the option's value in help (`N`, `K`); absent for a flag. */
  readonly value?: string
  readonly help: string
}

export interface ParsedArgs {
  readonly positional: string[]
  readonly options: Options
  /** `--help` or `-h` was given. */
  readonly help: boolean
}

/** The options given on a command line, read with the type each one should have. */
export class Options {
  readonly #values: ReadonlyMap<string, string | true>

  constructor(values: ReadonlyMap<string, string | true>) {
    this.#values = values
  }

  /** True when the flag was given. */
  flag(name: string): boolean {
    return this.#values.get(name) === true
  }

  /** The option's value, or undefined when it was not given. */
  string(name: string): string | undefined {
    const v = this.#values.get(name)
    return typeof v === 'string' ? v : undefined
  }

  /** The option's value as a whole number >= min, or undefined when not given. */
  integer(name: string, min = 0): number | undefined {
    const raw = this.string(name)
    if (raw === undefined) return undefined
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
    if (!Number.isSafeInteger(n) || n < min) {
      throw new UsageError(`--${name} takes a whole number${min > 0 ? ` of at least ${min}` : ''}, not '${raw}'`)
    }
    return n
  }
}

export function parseArgs(tokens: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const known = new Map(specs.map((s) => [s.name, s]))
  const values = new Map<string, string | true>()
  const positional: string[] = []
  let help = false
  let problem: string | undefined
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token === '--') {
      positional.push(...tokens.slice(i + 1))
      break
    }
    if (token === '--help' || token === '-h') {
      help = true
      continue
    }
    if (!token.startsWith('--')) {
      positional.push(token)
      continue
    }
    const eq = token.indexOf('=')
    const name = token.slice(2, eq === -1 ? undefined : eq)
    const spec = known.get(name)
    if (spec === undefined) {
      problem ??= `unknown option --${name}`
    } else if (spec.value === undefined) {
      if (eq === -1) values.set(name, true)
      else problem ??= `--${name} takes no value`
    } else if (eq !== -1) {
      values.set(name, token.slice(eq + 1))
    } else if (i + 1 < tokens.length) {
      // The next word is the value whatever it looks like: `--gte -x` and `--prefix --` work.
      values.set(name, tokens[++i]!)
    } else {
      problem ??= `--${name} needs a value (--${name} ${spec.value})`
    }
  }
  // --help wins over every other mistake on the line.
  if (problem !== undefined && !help) throw new UsageError(problem)
  return { positional, options: new Options(values), help }
}
