// Synchronous, bounded-memory I/O on file descriptors: the command's whole run is
// synchronous (like the API), so output is written with fs.writeSync and input
// read with fs.readSync in fixed-size chunks. Nothing here holds more than one
// chunk (or one line) at a time.

import { readSync, writeSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the thread for `ms` (for a descriptor that said "try again"). */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms)
}

function isAgain(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'EAGAIN' || code === 'EWOULDBLOCK'
}

/** True for the error a write gets when the reader went away (`dbdb FILE dump | head`). */
export function isBrokenPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE'
}

/**
 * Text to a file descriptor, gathered into writes of about `bufferBytes` (0:
 * every write goes out at once). A descriptor in non-blocking mode (a pipe Node
 * or the parent set up) is waited on rather than failing with EAGAIN. EPIPE is
 * thrown to the caller, which stops: there is nobody left to write to.
 */
export class FdWriter {
  readonly #fd: number
  readonly #bufferBytes: number
  #pending: string[] = []
  #pendingLength = 0

  constructor(fd: number, bufferBytes = 64 * 1024) {
    this.#fd = fd
    this.#bufferBytes = bufferBytes
  }

  write(text: string): void {
    this.#pending.push(text)
    this.#pendingLength += text.length
    if (this.#pendingLength >= this.#bufferBytes) this.flush()
  }

  flush(): void {
    if (this.#pendingLength === 0) return
    const bytes = Buffer.from(this.#pending.join(''), 'utf8')
    this.#pending = []
    this.#pendingLength = 0
    let offset = 0
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.#fd, bytes, offset, bytes.length - offset)
      } catch (err) {
        if (!isAgain(err)) throw err
        sleep(1)
      }
    }
  }
}

/** Reads up to buffer.length bytes; 0 at the end of the input. */
function readChunk(fd: number, buffer: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, buffer, 0, buffer.length, null)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EOF') return 0 // Windows: end of a pipe
      if (!isAgain(err)) throw err
      sleep(1)
    }
  }
}

/**
 * The lines of a descriptor's input, lazily, without their line ends (`\n` or
 * `\r\n`), read in chunks of `chunkBytes`. The last line need not end with `\n`.
 * `onBytes` hears how many bytes each chunk had.
 */
export function* readLines(fd: number, onBytes?: (bytes: number) => void, chunkBytes = 64 * 1024): Generator<string, void, undefined> {
  const buffer = Buffer.allocUnsafe(chunkBytes)
  const decoder = new StringDecoder('utf8')
  let carry = ''
  for (;;) {
    const n = readChunk(fd, buffer)
    if (n === 0) break
    onBytes?.(n)
    const text = decoder.write(buffer.subarray(0, n))
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      yield stripCr(carry + text.slice(start, nl))
      carry = ''
      start = nl + 1
    }
    carry += text.slice(start)
  }
  carry += decoder.end()
  if (carry !== '') yield stripCr(carry)
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}
