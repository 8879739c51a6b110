// The shared LogicalTree conformance suite, once per node codec.

import { jsonCodec, msgpackCodec } from '@dbdb/codec'
import { defineTreeConformance, type TestApi } from '@dbdb/logical/testing'
import { describe, it } from 'vitest'
import { binaryTree } from './binary-tree.js'

// The suite's range test spends seconds in its own Map model (it re-sorts the model
// for each of ~8,700 queries; the tree's share is ~0.1 s) and sets no timeout of its
// own, so vitest's 5 s default fails it on a busy 2-core machine.
const api: TestApi = { describe, it: (name, fn, timeout) => it(name, fn, timeout ?? 30_000) }

defineTreeConformance(api, { factory: binaryTree, codec: msgpackCodec })
defineTreeConformance(api, { factory: binaryTree, codec: jsonCodec })
