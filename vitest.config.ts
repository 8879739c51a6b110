import { defineConfig } from 'vitest/config'

// One vitest run over every package; each package is a project so its tests
// resolve its own dependencies. Sibling packages are imported through their
// built `dist` (turbo builds before tests), which is the JS Node really loads.
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
})
