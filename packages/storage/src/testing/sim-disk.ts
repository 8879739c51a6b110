// SimDisk: a FileIO over in-memory files for crash and fault tests. Each file has
// a durable image (what survives a power loss) and a volatile view (the page
// cache, which reads see); a sync makes a file's pending writes durable. Faults
// can be injected at any mutating call, and powerLoss() builds the disk a reboot
// would find.
//
//   const disk = new SimDisk()
//   disk.failAt(7, 'crash')                  // the 7th mutating call is the last
//   try { workload(disk) } catch (err) { if (!disk.crashed) throw err }
//   const rebooted = disk.powerLoss(seed, 'torn')
//   FileStorage.open('/db/x.db', { io: rebooted })

import * as path from 'node:path'
import type { FileIO } from '../file-io.js'
import { prng } from './random.js'

/**
 * What happens at the chosen call: the machine stops, the disk fails that one call,
 * or ('zero') that call, a write, writes nothing and returns 0.
 */
export type FaultKind = 'crash' | 'EIO' | 'ENOSPC' | 'zero'

/**
 * What a power loss does to each write that was not yet synced: 'drop' loses all
 * of them, 'apply' keeps all of them, 'torn' keeps or loses each 512-byte sector
 * of each write independently (and each unsynced truncate, link or unlink).
 */
export type PowerLossMode = 'drop' | 'apply' | 'torn'

export const SECTOR_SIZE = 512

/** Thrown by the call at which a SimDisk "crashes", and by every call after it. */
export class SimulatedCrash extends Error {
  constructor(call: number) {
    super(`simulated crash (at mutating call ${call})`)
    this.name = 'SimulatedCrash'
  }
}

/** A file's bytes in a growable buffer; bytes past `size` are always zero. */
class Bytes {
  #buf: Buffer
  size: number

  constructor(from: Uint8Array = new Uint8Array(0)) {
    this.#buf = Buffer.alloc(Math.max(from.length, 4096))
    this.#buf.set(from)
    this.size = from.length
  }

  get view(): Buffer {
    return this.#buf.subarray(0, this.size)
  }

  write(offset: number, bytes: Uint8Array): void {
    this.#reserve(offset + bytes.length)
    this.#buf.set(bytes, offset)
    this.size = Math.max(this.size, offset + bytes.length)
  }

  truncate(length: number): void {
    if (length < this.size) this.#buf.fill(0, length, this.size)
    this.#reserve(length)
    this.size = length
  }

  #reserve(length: number): void {
    if (length <= this.#buf.length) return
    const grown = Buffer.alloc(Math.max(length, this.#buf.length * 2))
    this.#buf.copy(grown, 0, 0, this.size)
    this.#buf = grown
  }
}

type Change = { readonly offset: number; readonly bytes: Buffer } | { readonly truncate: number }

function applyChange(to: Bytes, change: Change): void {
  if ('truncate' in change) to.truncate(change.truncate)
  else to.write(change.offset, change.bytes)
}

let nextInode = 1

/** One file (an inode: it may have several names, or none). */
class SimFile {
  readonly ino = nextInode++
  readonly volatile: Bytes
  readonly durable: Bytes
  /** Changes since the last sync, oldest first; volatile = durable + all of them. */
  pending: Change[] = []
  /** The fd holding this file's writer lock, if any (a lock belongs to an open file, as OFD locks do). */
  lockedBy: number | undefined
  /** The fds holding a shared lock on it. */
  readonly sharedBy = new Set<number>()

  constructor(bytes?: Uint8Array) {
    this.volatile = new Bytes(bytes)
    this.durable = new Bytes(bytes)
  }

  change(change: Change): void {
    applyChange(this.volatile, change)
    this.pending.push(change)
  }

  sync(): void {
    for (const change of this.pending) applyChange(this.durable, change)
    this.pending = []
  }
}

interface OpenFile {
  readonly file: SimFile | undefined
  /** Set for a directory opened (to fsync it). */
  readonly dir: string | undefined
  readonly writable: boolean
}

/** A directory-entry change not yet made durable by an fsync of its directory. */
interface NameChange {
  readonly path: string
  readonly file: SimFile | undefined
}

/** The FileIO calls failNext can fail. */
export type SimCall =
  | 'openSync'
  | 'closeSync'
  | 'fstatSync'
  | 'readSync'
  | 'writeSync'
  | 'fdatasyncSync'
  | 'fsyncSync'
  | 'ftruncateSync'
  | 'linkSync'
  | 'unlinkSync'

export class SimDisk implements FileIO {
  /** The names every call sees. */
  readonly #names = new Map<string, SimFile>()
  /** The names a power loss keeps, before the pending name changes. */
  readonly #durableNames = new Map<string, SimFile>()
  #pendingNames: NameChange[] = []
  readonly #dirs = new Set<string>(['/'])
  readonly #fds = new Map<number, OpenFile>()
  #nextFd = 3
  #calls = 0
  #fault: { readonly at: number; readonly kind: FaultKind; readonly during: (() => void) | undefined } | undefined
  #crashed = false
  /** Calls to fail by name (failNext), whatever the count of mutating calls. */
  readonly #failing = new Map<SimCall, { code: string; times: number; path: RegExp | string | undefined }>()

  /** Mutating calls (write, sync, truncate, link, unlink) made so far. */
  get calls(): number {
    return this.#calls
  }

  /** True once the injected crash happened: every FileIO call now throws SimulatedCrash. */
  get crashed(): boolean {
    return this.#crashed
  }

  /**
   * Arms a fault at mutating call number `call` (counting from 1 since the disk
   * was made). 'crash': the call takes effect (in the page cache; a sync makes
   * things durable) and then the machine stops before it returns. 'EIO' and
   * 'ENOSPC': that one call fails without effect, and later calls work. 'zero': that
   * call, if it is a write, writes nothing and returns 0 (later calls work).
   *
   * `during` runs inside that call, before it fails: what another process does
   * while a slow call is in progress, e.g. reading the page cache while an
   * fdatasync takes its time to fail. It may make calls of its own on this disk.
   */
  failAt(call: number, kind: FaultKind, during?: () => void): void {
    this.#fault = { at: call, kind, during }
  }

  /**
   * Fails the next `times` (default 1) calls of `call` with the errno `code` ('EIO',
   * 'ENOSPC', 'EACCES', 'EFBIG'...), without effect; later calls work. Unlike failAt,
   * any call can fail, reads and opens included. `path`: only calls on that path
   * (a string, resolved, or a RegExp tested on the resolved path; for openSync,
   * linkSync (the new name) and unlinkSync). An fdatasyncSync is also an fsyncSync.
   */
  failNext(call: SimCall, code: string, options: { times?: number; path?: string | RegExp } = {}): void {
    const path_ = typeof options.path === 'string' ? path.resolve(options.path) : options.path
    this.#failing.set(call, { code, times: options.times ?? 1, path: path_ })
  }

  /** The disk as a reboot after a power loss now would find it (see PowerLossMode). */
  powerLoss(seed: number, mode: PowerLossMode): SimDisk {
    const rand = prng(seed)
    const keep = (): boolean => mode === 'apply' || (mode === 'torn' && rand() < 0.5)
    const names = new Map(this.#durableNames)
    for (const change of this.#pendingNames) {
      if (!keep()) continue
      if (change.file === undefined) names.delete(change.path)
      else names.set(change.path, change.file)
    }
    const disk = new SimDisk()
    const rebooted = new Map<SimFile, SimFile>()
    for (const [name, file] of names) {
      let copy = rebooted.get(file)
      if (copy === undefined) {
        const bytes = new Bytes(file.durable.view)
        for (const change of file.pending) {
          if ('truncate' in change || mode !== 'torn') {
            if (keep()) applyChange(bytes, change)
            continue
          }
          // A torn write: each sector it touches reaches the platter, or not.
          let at = change.offset
          const end = change.offset + change.bytes.length
          while (at < end) {
            const next = Math.min(end, (Math.floor(at / SECTOR_SIZE) + 1) * SECTOR_SIZE)
            if (keep()) bytes.write(at, change.bytes.subarray(at - change.offset, next - change.offset))
            at = next
          }
        }
        copy = new SimFile(bytes.view)
        rebooted.set(file, copy)
      }
      disk.#link(name, copy, true)
    }
    return disk
  }

  /**
   * The disk as a new process finds it after this one died (the machine kept
   * running): every write is still there, and what was not synced is still not.
   */
  restart(): SimDisk {
    const disk = new SimDisk()
    const copies = new Map<SimFile, SimFile>()
    const copy = (file: SimFile): SimFile => {
      let c = copies.get(file)
      if (c === undefined) {
        c = new SimFile(file.durable.view)
        for (const change of file.pending) c.change(change)
        copies.set(file, c)
      }
      return c
    }
    for (const [name, file] of this.#names) disk.#names.set(name, copy(file))
    for (const [name, file] of this.#durableNames) disk.#durableNames.set(name, copy(file))
    disk.#pendingNames = this.#pendingNames.map((c) => (c.file === undefined ? c : { path: c.path, file: copy(c.file) }))
    for (const dir of this.#dirs) disk.#dirs.add(dir)
    return disk
  }

  /** A copy of the file's bytes as reads see them. */
  readFile(filePath: string): Buffer {
    return Buffer.from(this.#file(path.resolve(filePath)).volatile.view)
  }

  /** Sets a file's bytes, durably (as if written and synced long ago); creates it if missing. */
  writeFile(filePath: string, bytes: Uint8Array): void {
    const name = path.resolve(filePath)
    const file = this.#names.get(name)
    if (file === undefined) {
      this.#link(name, new SimFile(bytes), true)
      return
    }
    file.change({ truncate: 0 })
    file.change({ offset: 0, bytes: Buffer.from(bytes) })
    file.sync()
  }

  exists(filePath: string): boolean {
    return this.#names.has(path.resolve(filePath))
  }

  /** Every file name, sorted. */
  list(): string[] {
    return [...this.#names.keys()].sort()
  }

  // ---- FileIO -----------------------------------------------------------------

  openSync(filePath: string, flags: string): number {
    this.#live()
    this.#injected('openSync', 'open', filePath)
    if (!['r', 'r+', 'wx', 'wx+'].includes(flags)) throw new Error(`SimDisk: unsupported open flags '${flags}'`)
    const name = path.resolve(filePath)
    const writable = flags !== 'r'
    let file = this.#names.get(name)
    if (file !== undefined && flags.startsWith('wx')) throw errno('EEXIST', 'open', name)
    if (file === undefined) {
      if (this.#dirs.has(name)) {
        if (writable) throw errno('EISDIR', 'open', name)
        return this.#newFd({ file: undefined, dir: name, writable })
      }
      if (!flags.startsWith('wx')) throw errno('ENOENT', 'open', name)
      file = new SimFile()
      this.#link(name, file, false)
    }
    return this.#newFd({ file, dir: undefined, writable })
  }

  closeSync(fd: number): void {
    this.#live()
    this.#injected('closeSync', 'close')
    const open = this.#open(fd)
    if (open.file?.lockedBy === fd) open.file.lockedBy = undefined
    open.file?.sharedBy.delete(fd)
    this.#fds.delete(fd)
  }

  fstatSync(fd: number): { size: number; isDirectory(): boolean; isFile(): boolean; ino: number; dev: number } {
    this.#live()
    this.#injected('fstatSync', 'fstat')
    const open = this.#open(fd)
    const size = open.file?.volatile.size ?? 0
    return { size, isDirectory: () => open.dir !== undefined, isFile: () => open.file !== undefined, ino: open.file?.ino ?? 0, dev: 1 }
  }

  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.#live()
    this.#injected('readSync', 'read')
    const file = this.#regular(fd, 'read')
    const bytes = file.volatile.view.subarray(position, position + length)
    buffer.set(bytes, offset)
    return bytes.length
  }

  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.#injected('writeSync', 'write')
    return this.#mutate('write', (fault) => {
      const file = this.#regular(fd, 'write', true)
      if (fault === 'zero') return 0
      file.change({ offset: position, bytes: Buffer.from(buffer.subarray(offset, offset + length)) })
      return length
    })
  }

  fdatasyncSync(fd: number): void {
    this.#injected('fdatasyncSync', 'fdatasync')
    this.fsyncSync(fd)
  }

  /** writeSync, completed on a later turn of the event loop as libuv's pool completes it. */
  write(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (err: NodeJS.ErrnoException | null, written: number) => void,
  ): void {
    setImmediate(() => {
      let written: number
      try {
        written = this.writeSync(fd, buffer, offset, length, position)
      } catch (err) {
        callback(err as NodeJS.ErrnoException, 0)
        return
      }
      callback(null, written)
    })
  }

  /** fdatasyncSync, completed on a later turn of the event loop as libuv's pool completes it. */
  fdatasync(fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void {
    setImmediate(() => {
      try {
        this.fdatasyncSync(fd)
      } catch (err) {
        callback(err as NodeJS.ErrnoException)
        return
      }
      callback(null)
    })
  }

  fsyncSync(fd: number): void {
    this.#injected('fsyncSync', 'fsync')
    this.#mutate('fsync', () => {
      const open = this.#open(fd)
      if (open.file !== undefined) {
        open.file.sync()
        return
      }
      // A directory: its entries' changes become durable.
      const rest: NameChange[] = []
      for (const change of this.#pendingNames) {
        if (path.dirname(change.path) !== open.dir) {
          rest.push(change)
        } else if (change.file === undefined) {
          this.#durableNames.delete(change.path)
        } else {
          this.#durableNames.set(change.path, change.file)
        }
      }
      this.#pendingNames = rest
    })
  }

  ftruncateSync(fd: number, length: number): void {
    this.#injected('ftruncateSync', 'ftruncate')
    this.#mutate('ftruncate', () => this.#regular(fd, 'ftruncate', true).change({ truncate: length }))
  }

  linkSync(existing: string, created: string): void {
    this.#injected('linkSync', 'link', created)
    this.#mutate('link', () => {
      const file = this.#file(path.resolve(existing))
      if (this.#names.has(path.resolve(created)) || this.#dirs.has(path.resolve(created))) {
        throw errno('EEXIST', 'link', created)
      }
      this.#link(path.resolve(created), file, false)
    })
  }

  unlinkSync(filePath: string): void {
    this.#injected('unlinkSync', 'unlink', filePath)
    this.#mutate('unlink', () => {
      const name = path.resolve(filePath)
      this.#file(name)
      this.#names.delete(name)
      this.#pendingNames.push({ path: name, file: undefined })
    })
  }

  lockSync(fd: number, op: 'lock' | 'share' | 'unlock'): void {
    this.#live()
    const file = this.#regular(fd, 'lock')
    if (op === 'unlock') {
      if (file.lockedBy === fd) file.lockedBy = undefined
      file.sharedBy.delete(fd)
    } else if (
      (file.lockedBy !== undefined && file.lockedBy !== fd) ||
      (op === 'lock' && [...file.sharedBy].some((other) => other !== fd))
    ) {
      throw errno('EAGAIN', 'lock')
    } else if (op === 'share') {
      file.sharedBy.add(fd)
    } else {
      file.lockedBy = fd
    }
  }

  // ---- internals --------------------------------------------------------------

  #live(): void {
    if (this.#crashed) throw new SimulatedCrash(this.#calls)
  }

  /** Throws the failure failNext armed for this call, if any. */
  #injected(call: SimCall, syscall: string, filePath?: string): void {
    const armed = this.#failing.get(call)
    if (armed === undefined) return
    if (armed.path !== undefined) {
      const name = filePath === undefined ? undefined : path.resolve(filePath)
      if (name === undefined || (typeof armed.path === 'string' ? name !== armed.path : !armed.path.test(name))) return
    }
    if (--armed.times <= 0) this.#failing.delete(call)
    throw errno(armed.code, syscall, filePath)
  }

  #mutate<T>(syscall: string, apply: (fault?: 'zero') => T): T {
    this.#live()
    const call = ++this.#calls
    const fault = this.#fault?.at === call ? this.#fault : undefined
    const kind = fault?.kind
    fault?.during?.()
    if (kind === 'EIO' || kind === 'ENOSPC') throw errno(kind, syscall)
    if (kind === 'zero') return apply('zero')
    if (kind !== 'crash') return apply()
    try {
      apply()
    } catch {
      // The crash is what the caller sees, whatever the call itself did.
    }
    this.#crashed = true
    throw new SimulatedCrash(call)
  }

  #newFd(open: OpenFile): number {
    const fd = this.#nextFd++
    this.#fds.set(fd, open)
    return fd
  }

  #open(fd: number): OpenFile {
    const open = this.#fds.get(fd)
    if (open === undefined) throw errno('EBADF', 'fd')
    return open
  }

  #regular(fd: number, syscall: string, write = false): SimFile {
    const open = this.#open(fd)
    if (open.file === undefined) throw errno('EISDIR', syscall)
    if (write && !open.writable) throw errno('EBADF', syscall)
    return open.file
  }

  #file(name: string): SimFile {
    const file = this.#names.get(name)
    if (file === undefined) throw errno('ENOENT', 'open', name)
    return file
  }

  #link(name: string, file: SimFile, durable: boolean): void {
    this.#names.set(name, file)
    if (durable) this.#durableNames.set(name, file)
    else this.#pendingNames.push({ path: name, file })
    for (let dir = path.dirname(name); !this.#dirs.has(dir); dir = path.dirname(dir)) this.#dirs.add(dir)
  }
}

function errno(code: string, syscall: string, filePath?: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: simulated failure, ${syscall}${filePath === undefined ? '' : ` '${filePath}'`}`)
  err.code = code
  err.syscall = syscall
  if (filePath !== undefined) err.path = filePath
  return err
}
