import { defineConfig } from 'vitest/config'

// Lets `vitest run` work from this folder too (the workspace config at the repo
// root names every package as a project).
export default defineConfig({
  test: {
    name: '@dbdb/storage',
  },
})
