// The registry is the one list of built-in trees and codecs: what open() accepts by
// name, what its types allow, and what its error messages offer all come from it.
import { describe, expect, expectTypeOf, it } from 'vitest'
import { type OpenOptions, open } from './index.js'
import { CODECS, type CodecName, codecNames, TREES, type TreeName, treeNames, type ValueCodecName, valueCodecNames } from './registry.js'
import { tempFile, useTempDir } from './test-helpers.fixture.js'

const dir = useTempDir()

function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('it did not throw')
}

describe('the registry of trees and codecs', () => {
  it('names each tree and codec by the id its files record', () => {
    for (const [name, tree] of Object.entries(TREES)) expect(tree.id).toBe(name)
    for (const [name, { codec }] of Object.entries(CODECS)) expect(codec.id).toBe(name)
  })

  it.each(treeNames)('open() creates and reopens a file with the tree %j by name', (name) => {
    const file = tempFile(dir, `${name}.db`)
    const db = open(file, { tree: name })
    db.set('k', 1)
    db.commit()
    db.close()
    const again = open(file)
    expect(again.composition.tree).toBe(name)
    expect(again.get('k')).toBe(1)
    again.close()
  })

  it.each(codecNames)('open() takes the node codec %j by name', (name) => {
    const db = open(tempFile(dir, `${name}.db`), { codec: name })
    expect(db.composition).toMatchObject({ codec: name, valueCodec: name })
    db.close()
  })

  it.each(valueCodecNames)('open() takes the value codec %j by name', (name) => {
    const db = open(tempFile(dir, `${name}.db`), { valueCodec: name })
    expect(db.composition.valueCodec).toBe(name)
    db.close()
  })

  it('lists every registered name in the error for an unknown one', () => {
    const file = tempFile(dir)
    const tree = messageOf(() => open(file, { tree: 'nope' as never }))
    const notATree = messageOf(() => open(file, { tree: 7 as never }))
    for (const name of treeNames) {
      expect(tree).toContain(`'${name}'`)
      expect(notATree).toContain(`'${name}'`)
    }
    const codec = messageOf(() => open(file, { codec: 'nope' as never }))
    for (const name of codecNames) expect(codec).toContain(`'${name}'`)
    const valueCodec = messageOf(() => open(file, { valueCodec: 'nope' as never }))
    for (const name of valueCodecNames) expect(valueCodec).toContain(`'${name}'`)
  })

  it('refuses a values-only codec for nodes, and does not offer it there', () => {
    const valuesOnly = valueCodecNames.filter((name) => !CODECS[name].nodes)
    expect(valuesOnly.length).toBeGreaterThan(0)
    for (const name of valuesOnly) {
      const message = messageOf(() => open(tempFile(dir), { codec: name as never }))
      expect(message).toMatch(/^unknown codec/)
      expect(message).not.toContain(`'${name}'`)
    }
  })

  it('types the options as the literal names', () => {
    expectTypeOf<TreeName>().toEqualTypeOf<keyof typeof TREES>()
    expectTypeOf<ValueCodecName>().toEqualTypeOf<keyof typeof CODECS>()
    expectTypeOf<CodecName>().toExtend<ValueCodecName>()
    expectTypeOf<'raw'>().not.toExtend<CodecName>()
    expectTypeOf<TreeName>().toExtend<NonNullable<OpenOptions['tree']>>()
    expectTypeOf<CodecName>().toExtend<NonNullable<OpenOptions['codec']>>()
    expectTypeOf<ValueCodecName>().toExtend<NonNullable<OpenOptions['valueCodec']>>()
    // Literal unions, not `string`: a misspelt name is a type error.
    expectTypeOf<string>().not.toExtend<NonNullable<OpenOptions['tree']>>()
    expectTypeOf<string>().not.toExtend<NonNullable<OpenOptions['codec']>>()
    expectTypeOf<string>().not.toExtend<NonNullable<OpenOptions['valueCodec']>>()
  })
})
