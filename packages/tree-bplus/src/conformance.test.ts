// The shared LogicalTree conformance suite, at several node sizes, with the msgpack
// node codec (conformance-json.test.ts runs the json codec, in parallel).
import { msgpackCodec } from '@dbdb/codec'
import { defineTreeConformance } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { DEFAULT_ORDER } from './index.js'

const codec = msgpackCodec
defineTreeConformance({ describe, it }, { factory: strictBPlusTree({ order: 4 }), codec, label: 'order 4' })
defineTreeConformance({ describe, it }, { factory: strictBPlusTree({ order: 16 }), codec, label: 'order 16' })
defineTreeConformance({ describe, it }, { factory: strictBPlusTree(), codec, label: `order ${DEFAULT_ORDER} (default)` })
// Nearly every value out of line, so the whole suite also runs across the inline threshold.
defineTreeConformance(
  { describe, it },
  { factory: strictBPlusTree({ order: 5, inlineValueMax: 8 }), codec, label: 'order 5, inline up to 8 bytes' },
)
