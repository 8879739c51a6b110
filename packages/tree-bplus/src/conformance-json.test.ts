// The shared LogicalTree conformance suite with the json node codec, at the smallest
// and the default node size (the suite's range test is slow; msgpack covers more sizes).
import { jsonCodec } from '@dbdb/codec'
import { defineTreeConformance } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { strictBPlusTree } from './fill.fixture.js'
import { DEFAULT_ORDER } from './index.js'

const codec = jsonCodec
defineTreeConformance({ describe, it }, { factory: strictBPlusTree({ order: 4 }), codec, label: 'order 4' })
defineTreeConformance({ describe, it }, { factory: strictBPlusTree(), codec, label: `order ${DEFAULT_ORDER} (default)` })
