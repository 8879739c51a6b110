// The progress bar, in-process, with a fake terminal and a fake clock.
import { describe, expect, it } from 'vitest'
import { during, type ProgressStream, progress } from './progress.js'

function fakeStream(isTTY: boolean, columns = 80): ProgressStream & { written: string[] } {
  const written: string[] = []
  return { isTTY, columns, written, write: (text: string) => written.push(text) }
}

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000
  return { now: () => t, advance: (ms) => (t += ms) }
}

describe('progress', () => {
  it('draws nothing at all when the stream is not a terminal', () => {
    const stream = fakeStream(false)
    const clock = fakeClock()
    const bar = progress(stream, 'loading', { total: 100, now: clock.now })
    expect(bar.active).toBe(false)
    for (let i = 0; i <= 100; i++) {
      clock.advance(50)
      bar.update(i)
    }
    bar.finish()
    expect(stream.written).toEqual([])
    expect(progress(undefined, 'x').active).toBe(false)
    expect(progress({ write: () => expect.fail('wrote') }, 'x', { immediate: true }).active).toBe(false)
  })

  it('on a terminal, draws at most every 100 ms and clears the line at the end', () => {
    const stream = fakeStream(true)
    const clock = fakeClock()
    const bar = progress(stream, 'loading db', { total: 1000, now: clock.now })
    expect(bar.active).toBe(true)
    bar.update(1) // at once: quick work never draws
    expect(stream.written).toEqual([])
    // 2 seconds of updates every millisecond: about 20 draws, not 2000.
    for (let i = 0; i < 2000; i++) {
      clock.advance(1)
      bar.update(i / 2)
    }
    expect(stream.written.length).toBeGreaterThanOrEqual(19)
    expect(stream.written.length).toBeLessThanOrEqual(21)
    for (const text of stream.written) {
      expect(text.startsWith('\r')).toBe(true)
      expect(text.endsWith('\x1b[K')).toBe(true)
      expect(text).not.toContain('\n')
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequence is what is tested
    expect(stream.written.at(-1)).toMatch(/^\rloading db \[=+>? *\] {2}99% {2}999\/1,000 keys {2}2s\x1b\[K$/)
    bar.finish()
    expect(stream.written.at(-1)).toBe('\r\x1b[K')
    const count = stream.written.length
    bar.finish()
    bar.update(1000)
    expect(stream.written).toHaveLength(count) // finished: quiet for good
  })

  it('does not clear a line it never drew', () => {
    const stream = fakeStream(true)
    const bar = progress(stream, 'quick', { total: 10, now: fakeClock().now })
    bar.update(10)
    bar.finish()
    expect(stream.written).toEqual([])
  })

  it('renders a count when the total is unknown, a custom detail, and fits the width', () => {
    const stream = fakeStream(true, 30)
    const clock = fakeClock()
    const bar = progress(stream, 'loading', { now: clock.now })
    clock.advance(3500)
    expect(bar.render(1234567)).toBe('loading  1,234,567 keys  3s')
    const bytes = progress(stream, 'loading a-rather-long-file-name.db', { total: 2048, detail: () => '12 keys', now: clock.now })
    const line = bytes.render(1024)
    expect(line.length).toBe(29)
    expect(line.startsWith('loading a-rather-long-file-na')).toBe(true)
    const wide = progress(fakeStream(true, 200), 'x', { total: 4, now: clock.now, detail: () => '3 keys' })
    expect(wide.render(2)).toBe(`x [${'='.repeat(12)}>${' '.repeat(11)}]  50%  3 keys  0s`)
    expect(wide.render(4)).toBe(`x [${'='.repeat(24)}] 100%  3 keys  0s`)
  })

  it('during() shows a line for one long step and wipes it, even when the step throws', () => {
    const stream = fakeStream(true)
    expect(during(stream, 'compacting db', () => 42)).toBe(42)
    expect(stream.written).toHaveLength(2)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape sequence is what is tested
    expect(stream.written[0]).toMatch(/^\rcompacting db {2}\.\.\. {2}0s\x1b\[K$/)
    expect(stream.written[1]).toBe('\r\x1b[K')
    const quiet = fakeStream(false)
    expect(() =>
      during(quiet, 'x', () => {
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(quiet.written).toEqual([])
    const tty = fakeStream(true)
    expect(() =>
      during(tty, 'x', () => {
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(tty.written.at(-1)).toBe('\r\x1b[K')
  })
})
