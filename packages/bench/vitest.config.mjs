import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the root config names every package as a project).
// These are checks of the harness itself, on tiny data; the benchmark is `pnpm bench`.
export default defineConfig({
  test: {
    name: '@dbdb/bench',
    testTimeout: 60_000,
  },
})
