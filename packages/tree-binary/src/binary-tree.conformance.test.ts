// The shared LogicalTree conformance suite, once per node codec.

import { jsonCodec, msgpackCodec } from '@dbdb/codec'
import { defineTreeConformance, type TestApi } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { binaryTree } from './binary-tree.js'

// The suite's range test spends most of its time in its own Map model (it re-sorts the
// model for each of thousands of queries) and sets no timeout of its own, so vitest's
// default can fail it on a busy machine.
const api: TestApi = { describe, it: (name, fn, timeout) => it(name, fn, timeout ?? 30_000) }

defineTreeConformance(api, { factory: binaryTree, codec: msgpackCodec })
defineTreeConformance(api, { factory: binaryTree, codec: jsonCodec })
