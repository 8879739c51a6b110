import { describe, expect, it } from 'vitest'
import { SimDisk, SimulatedCrash } from './sim-disk.js'

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)

function write(disk: SimDisk, fd: number, data: Uint8Array, position: number): void {
  disk.writeSync(fd, data, 0, data.length, position)
}

describe('SimDisk', () => {
  it('reads see unsynced writes; a power loss keeps only what was synced (drop) or everything (apply)', () => {
    const disk = new SimDisk()
    disk.writeFile('/d/f', bytes(1, 2, 3))
    const fd = disk.openSync('/d/f', 'r+')
    write(disk, fd, bytes(9), 0)
    expect([...disk.readFile('/d/f')]).toEqual([9, 2, 3])
    expect([...disk.powerLoss(0, 'drop').readFile('/d/f')]).toEqual([1, 2, 3])
    expect([...disk.powerLoss(0, 'apply').readFile('/d/f')]).toEqual([9, 2, 3])
    disk.fdatasyncSync(fd)
    write(disk, fd, bytes(7, 7), 3)
    expect([...disk.powerLoss(0, 'drop').readFile('/d/f')]).toEqual([9, 2, 3])
    disk.ftruncateSync(fd, 1)
    expect([...disk.readFile('/d/f')]).toEqual([9])
    expect([...disk.powerLoss(0, 'apply').readFile('/d/f')]).toEqual([9])
    expect(disk.calls).toBe(4)
  })

  it('tears unsynced writes at 512-byte sectors, the same way for the same seed', () => {
    const disk = new SimDisk()
    disk.writeFile('/f', new Uint8Array(4096))
    const fd = disk.openSync('/f', 'r+')
    write(disk, fd, new Uint8Array(4096).fill(1), 0)
    const seen = new Set<string>()
    for (let seed = 0; seed < 20; seed++) {
      const image = disk.powerLoss(seed, 'torn').readFile('/f')
      expect(image).toEqual(disk.powerLoss(seed, 'torn').readFile('/f'))
      const sectors = Array.from({ length: 8 }, (_, i) => image[i * 512]!)
      for (let i = 0; i < 8; i++) expect(image.subarray(i * 512, i * 512 + 512).every((b) => b === sectors[i])).toBe(true)
      seen.add(sectors.join(''))
    }
    expect(seen.size).toBeGreaterThan(10)
  })

  it('makes a new name durable only when its directory is synced', () => {
    const disk = new SimDisk()
    const fd = disk.openSync('/d/tmp', 'wx+')
    write(disk, fd, bytes(5), 0)
    disk.fsyncSync(fd)
    disk.closeSync(fd)
    disk.linkSync('/d/tmp', '/d/db')
    disk.unlinkSync('/d/tmp')
    expect(disk.list()).toEqual(['/d/db'])
    expect(disk.powerLoss(0, 'drop').list()).toEqual([])
    expect(disk.powerLoss(0, 'apply').list()).toEqual(['/d/db'])
    const dir = disk.openSync('/d', 'r')
    expect(disk.fstatSync(dir).isDirectory()).toBe(true)
    disk.fsyncSync(dir)
    const rebooted = disk.powerLoss(0, 'drop')
    expect(rebooted.list()).toEqual(['/d/db'])
    expect([...rebooted.readFile('/d/db')]).toEqual([5])
    expect(() => disk.openSync('/d/missing', 'r+')).toThrow(expect.objectContaining({ code: 'ENOENT' }))
    expect(() => disk.openSync('/d', 'r+')).toThrow(expect.objectContaining({ code: 'EISDIR' }))
  })

  it('restarts (a process died, the machine did not) with unsynced writes and names still unsynced', () => {
    const disk = new SimDisk()
    disk.writeFile('/d/f', bytes(1))
    const fd = disk.openSync('/d/f', 'r+')
    disk.lockSync(fd, 'lock')
    disk.failAt(2, 'crash')
    write(disk, fd, bytes(2), 0)
    expect(() => disk.linkSync('/d/f', '/d/g')).toThrow(SimulatedCrash)
    const restarted = disk.restart()
    expect(restarted.crashed).toBe(false)
    expect(restarted.list()).toEqual(['/d/f', '/d/g'])
    expect([...restarted.readFile('/d/g')]).toEqual([2])
    const again = restarted.openSync('/d/f', 'r+')
    restarted.lockSync(again, 'lock')
    expect(restarted.powerLoss(0, 'drop').list()).toEqual(['/d/f'])
    expect([...restarted.powerLoss(0, 'drop').readFile('/d/f')]).toEqual([1])
    restarted.fsyncSync(again)
    expect([...restarted.powerLoss(0, 'drop').readFile('/d/f')]).toEqual([2])
    expect([...disk.powerLoss(0, 'drop').readFile('/d/f')]).toEqual([1])
  })

  it('locks a file for one descriptor at a time, until it unlocks or closes', () => {
    const disk = new SimDisk()
    disk.writeFile('/f', bytes())
    const a = disk.openSync('/f', 'r+')
    const b = disk.openSync('/f', 'r+')
    disk.lockSync(a, 'lock')
    disk.lockSync(a, 'lock')
    expect(() => disk.lockSync(b, 'lock')).toThrow(expect.objectContaining({ code: 'EAGAIN' }))
    disk.lockSync(a, 'unlock')
    disk.lockSync(b, 'lock')
    disk.closeSync(b)
    disk.lockSync(a, 'lock')
  })

  it('fails one chosen call with EIO or ENOSPC, without effect', () => {
    for (const kind of ['EIO', 'ENOSPC'] as const) {
      const disk = new SimDisk()
      disk.writeFile('/f', bytes(1))
      const fd = disk.openSync('/f', 'r+')
      disk.failAt(2, kind)
      write(disk, fd, bytes(2), 0)
      expect(() => write(disk, fd, bytes(3), 0)).toThrow(expect.objectContaining({ code: kind }))
      expect([...disk.readFile('/f')]).toEqual([2])
      write(disk, fd, bytes(4), 1)
      expect([...disk.readFile('/f')]).toEqual([2, 4])
      expect(disk.calls).toBe(3)
    }
  })

  it("runs `during` inside the chosen call, before it fails: another process's view of a slow, failing call", () => {
    const disk = new SimDisk()
    disk.writeFile('/f', bytes(1))
    const fd = disk.openSync('/f', 'r+')
    const seen: number[][] = []
    const peek = (): void => {
      const buf = Buffer.alloc(2)
      seen.push([...buf.subarray(0, disk.readSync(fd, buf, 0, 2, 0))])
    }
    write(disk, fd, bytes(5, 6), 0)
    disk.failAt(2, 'EIO', peek)
    expect(() => disk.fdatasyncSync(fd)).toThrow(expect.objectContaining({ code: 'EIO' }))
    expect(seen).toEqual([[5, 6]])
  })

  it("fails a write with 'zero': it writes nothing and returns 0", () => {
    const disk = new SimDisk()
    disk.writeFile('/f', bytes(1))
    const fd = disk.openSync('/f', 'r+')
    disk.failAt(1, 'zero')
    expect(disk.writeSync(fd, bytes(7, 7), 0, 2, 0)).toBe(0)
    expect([...disk.readFile('/f')]).toEqual([1])
    expect(disk.writeSync(fd, bytes(7, 7), 0, 2, 0)).toBe(2)
  })

  it('crashes at a chosen call: the call reaches the page cache, then every call is refused', () => {
    const disk = new SimDisk()
    disk.writeFile('/f', bytes(1))
    const fd = disk.openSync('/f', 'r+')
    disk.failAt(1, 'crash')
    expect(() => write(disk, fd, bytes(2), 0)).toThrow(SimulatedCrash)
    expect(disk.crashed).toBe(true)
    expect(() => disk.fstatSync(fd)).toThrow(SimulatedCrash)
    expect(() => disk.closeSync(fd)).toThrow(SimulatedCrash)
    expect([...disk.powerLoss(0, 'drop').readFile('/f')]).toEqual([1])
    expect([...disk.powerLoss(0, 'apply').readFile('/f')]).toEqual([2])
    expect(disk.powerLoss(0, 'apply').crashed).toBe(false)
  })

  it('failNext fails the next calls of one name (reads and opens too), optionally on one path, without effect', () => {
    const disk = new SimDisk()
    disk.writeFile('/d/f', bytes(1, 2))
    const fd = disk.openSync('/d/f', 'r+')
    const buf = new Uint8Array(2)
    disk.failNext('readSync', 'EIO', { times: 2 })
    expect(() => disk.readSync(fd, buf, 0, 2, 0)).toThrow(expect.objectContaining({ code: 'EIO', syscall: 'read' }))
    expect(() => disk.readSync(fd, buf, 0, 2, 0)).toThrow(expect.objectContaining({ code: 'EIO' }))
    expect(disk.readSync(fd, buf, 0, 2, 0)).toBe(2)
    disk.failNext('openSync', 'EACCES', { path: /\.tmp$/ })
    disk.closeSync(disk.openSync('/d/f', 'r')) // another path: not failed
    expect(() => disk.openSync('/d/x.tmp', 'wx+')).toThrow(expect.objectContaining({ code: 'EACCES' }))
    expect(disk.exists('/d/x.tmp')).toBe(false)
    disk.failNext('writeSync', 'EFBIG')
    expect(() => write(disk, fd, bytes(9), 0)).toThrow(expect.objectContaining({ code: 'EFBIG' }))
    expect([...disk.readFile('/d/f')]).toEqual([1, 2])
    expect(disk.calls).toBe(0) // a failed call made no change
    expect(disk.fstatSync(fd)).toMatchObject({ size: 2, ino: expect.any(Number) })
    expect(disk.fstatSync(fd).isFile()).toBe(true)
  })
})
