import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the workspace config at the repo
// root names every package as a project).
export default defineConfig({
  test: {
    name: '@dbdb/storage',
    // Vitest's default timeout is a flake on a loaded machine: tests here start child
    // processes or try every bit flip, and take several times longer under load.
    testTimeout: 60_000,
  },
})
