// The parser and the range options, in-process.
import { isUtf8 } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { type OptionSpec, parseArgs, UsageError } from './args.js'
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
  const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'))
  const utf8 = (s: string) => Buffer.from(s, 'utf8')
  /** The range the tokens give, each bound as text (or 0x and hex when it is not UTF-8). */
  const range = (...tokens: string[]) =>
    Object.fromEntries(
      Object.entries(rangeFromOptions(parseArgs(tokens, RANGE_OPTIONS).options)).map(([k, v]) => {
        const b = Buffer.from(v as Uint8Array)
        return [k, isUtf8(b) ? b.toString('utf8') : `0x${b.toString('hex')}`]
      }),
    )

  it('prefixEnd is the first byte string after every key with the prefix', () => {
    expect(hex(prefixEnd(utf8('user:')))).toBe(hex(utf8('user;')))
    expect(hex(prefixEnd(Uint8Array.of(0x61, 0xff, 0xff)))).toBe('62')
    expect(prefixEnd(Uint8Array.of(0xff, 0xff))).toBeUndefined()
    expect(prefixEnd(new Uint8Array(0))).toBeUndefined()
    expect(hex(prefixEnd(utf8('é')))).toBe(hex(utf8('ê')))
    // Past every UTF-8 continuation of the prefix, emoji included.
    expect(hex(prefixEnd(utf8('x\uFFFF')))).toBe('78efbfc0')
    expect(Buffer.compare(utf8('x\uFFFF\u{1F600}'), prefixEnd(utf8('x\uFFFF'))!)).toBe(-1)
  })

  it('turns options into the API range', () => {
    expect(range()).toEqual({})
    expect(range('--gt', 'a', '--lte', 'b')).toEqual({ gt: 'a', lte: 'b' })
    expect(range('--prefix', 'p:')).toEqual({ gte: 'p:', lt: 'p;' })
    expect(range('--prefix', '')).toEqual({})
  })

  it('with --hex, bounds and prefix are hex bytes', () => {
    expect(range('--hex', '--gte', '00ff', '--lt', '0x0180')).toEqual({ gte: '0x00ff', lt: '0x0180' })
    expect(range('--hex', '--lt', '0x0100')).toEqual({ lt: '\u0001\u0000' })
    expect(range('--hex', '--prefix', 'ff00ff')).toEqual({ gte: '0xff00ff', lt: '0xff01' })
    expect(range('--hex', '--prefix', '7573')).toEqual({ gte: 'us', lt: 'ut' })
    expect(() => range('--hex', '--gt', 'abc')).toThrow('--gt is not hex')
    expect(() => range('--hex', '--prefix', 'zz')).toThrow('--prefix is not hex')
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
