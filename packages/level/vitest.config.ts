import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the root config names every package as a project).
// suite.test.ts runs abstract-level's whole suite while the file is collected; its
// own assertions are instant, the floor below is for the drop-in tests' file I/O.
export default defineConfig({
  test: {
    name: '@dbdb/level',
    testTimeout: 30_000,
  },
})
