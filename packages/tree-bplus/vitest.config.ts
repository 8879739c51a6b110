import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the root config names every package
// as a project). The shared conformance suite's range test runs thousands of queries
// against a Map model and can outlast vitest's default timeout on a busy machine.
export default defineConfig({
  test: {
    name: '@dbdb/tree-bplus',
    testTimeout: 60_000,
  },
})
