// The parser and the range options, in-process.
import { describe, expect, it } from 'vitest'
import { parseArgs, UsageError, type OptionSpec } from './args.js'
import { prefixEnd, RANGE_OPTIONS, rangeFromOptions } from './range.js'

const SPECS: OptionSpec[] = [
  { name: 'json', help: '' },
  { name: 'limit', value: 'N', help: '' },
  { name: 'gte', value: 'K', help: '' },
]

describe('parseArgs', () => {
  it('reads flags, --opt value, --opt=value, and positionals in any order', () => {
    const p = parseArgs(['a', '--json', '--limit', '5', 'b', '--gte=x=y'], SPECS)
    expect(p.positional).toEqual(['a', 'b'])
    expect(p.options.flag('json')).toBe(true)
    expect(p.options.integer('limit')).toBe(5)
    expect(p.options.string('gte')).toBe('x=y')
    expect(p.help).toBe(false)
    expect(p.options.flag('limit')).toBe(false)
    expect(p.options.string('json')).toBeUndefined()
  })

  it('ends options at --, and treats - and -x words as arguments', () => {
    const p = parseArgs(['-', '-1', '--', '--json', '--help'], SPECS)
    expect(p.positional).toEqual(['-', '-1', '--json', '--help'])
    expect(p.options.flag('json')).toBe(false)
    expect(p.help).toBe(false)
  })

  it('an option value may look like an option', () => {
    expect(parseArgs(['--gte', '--json'], SPECS).options.string('gte')).toBe('--json')
    expect(parseArgs(['--gte='], SPECS).options.string('gte')).toBe('')
  })

  it('refuses unknown options, values for flags, and missing values', () => {
    expect(() => parseArgs(['--frob'], SPECS)).toThrow(new UsageError('unknown option --frob'))
    expect(() => parseArgs(['--json=1'], SPECS)).toThrow('--json takes no value')
    expect(() => parseArgs(['--limit'], SPECS)).toThrow('--limit needs a value (--limit N)')
  })

  it('--help and -h win over mistakes', () => {
    expect(parseArgs(['--frob', '--help'], SPECS).help).toBe(true)
    expect(parseArgs(['-h', '--limit'], SPECS).help).toBe(true)
  })

  it('integer() takes whole numbers only', () => {
    const number = (v: string, min?: number) => parseArgs(['--limit', v], SPECS).options.integer('limit', min)
    expect(number('0')).toBe(0)
    expect(number('007')).toBe(7)
    for (const bad of ['', '-1', '1.5', '1e3', 'abc', ' 1', '99999999999999999999']) expect(() => number(bad)).toThrow(UsageError)
    expect(() => number('0', 1)).toThrow('--limit takes a whole number of at least 1')
    expect(parseArgs([], SPECS).options.integer('limit')).toBeUndefined()
  })
})

describe('ranges', () => {
  const range = (...tokens: string[]) => rangeFromOptions(parseArgs(tokens, RANGE_OPTIONS).options)

  it('prefixEnd is the first string after every string with the prefix', () => {
    expect(prefixEnd('user:')).toBe('user;')
    expect(prefixEnd('a\u{10FFFF}')).toBe('b')
    expect(prefixEnd('\u{10FFFF}\u{10FFFF}')).toBeUndefined()
    expect(prefixEnd('')).toBeUndefined()
    expect(prefixEnd('x\uD7FF')).toBe('x\uE000')
    expect(prefixEnd('x\uFFFF')).toBe('x\u{10000}')
    expect(prefixEnd('é')).toBe('ê')
  })

  it('turns options into the API range', () => {
    expect(range()).toEqual({})
    expect(range('--gt', 'a', '--lte', 'b')).toEqual({ gt: 'a', lte: 'b' })
    expect(range('--prefix', 'p:')).toEqual({ gte: 'p:', lt: 'p;' })
    expect(range('--prefix', '')).toEqual({})
  })

  it('a prefix and bounds together keep the tighter of each', () => {
    expect(range('--prefix', 'p:', '--gt', 'p:5')).toEqual({ gt: 'p:5', lt: 'p;' })
    expect(range('--prefix', 'p:', '--gt', 'a', '--lt', 'z')).toEqual({ gte: 'p:', lt: 'p;' })
    expect(range('--prefix', 'p:', '--gt', 'p:')).toEqual({ gt: 'p:', lt: 'p;' })
    expect(range('--prefix', 'p:', '--lte', 'p:9')).toEqual({ gte: 'p:', lte: 'p:9' })
    expect(range('--prefix', 'p:', '--lte', 'p;')).toEqual({ gte: 'p:', lt: 'p;' })
    // Compared as UTF-8 bytes, like the keys: U+FFFF < U+10000.
    expect(range('--prefix', 'p', '--lt', 'p\u{10000}')).toEqual({ gte: 'p', lt: 'p\u{10000}' })
  })

  it('refuses both bounds on one side', () => {
    expect(() => range('--gt', 'a', '--gte', 'b')).toThrow('give --gt or --gte, not both')
    expect(() => range('--lt', 'a', '--lte', 'b')).toThrow('give --lt or --lte, not both')
  })
})
