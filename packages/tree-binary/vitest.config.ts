import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the root config names every package as a project).
export default defineConfig({
  test: {
    name: '@dbdb/tree-binary',
    // Vitest's default timeout makes a flake of a test that tries every bit flip or
    // thousands of random operations on a busy machine: the time such a test takes
    // grows with the load, and nothing here depends on how long it takes.
    testTimeout: 60_000,
  },
})
