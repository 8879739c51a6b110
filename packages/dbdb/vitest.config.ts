import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the root config names every package as a project).
export default defineConfig({
  test: {
    name: '@dbdb/dbdb',
    // Vitest's 5 s default is a flake on a loaded machine: tests here that start
    // child processes or try every bit flip take several times longer under load.
    testTimeout: 60_000,
  },
})
