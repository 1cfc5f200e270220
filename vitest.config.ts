import { defineConfig } from 'vitest/config';

// Tests run straight from TypeScript sources: the "@hyperclone/source" export condition
// points every workspace package at its src/ instead of its built dist/.
export default defineConfig({
  resolve: { conditions: ['@hyperclone/source'] },
  ssr: { resolve: { conditions: ['@hyperclone/source'], externalConditions: ['@hyperclone/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
