import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,backend,electron,renderer,test}/**/*.test.{ts,tsx}'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
