import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the root config names every package as a project).
// The tests drive real child processes; the per-test timeouts grow with the trial counts
// (see src/harness.ts), this is only the floor.
export default defineConfig({
  test: {
    name: '@dbdb/crash-tests',
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
})
