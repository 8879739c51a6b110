import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the root config names every package as a project).
export default defineConfig({
  test: {
    name: '@dbdb/dbdb',
  },
})
