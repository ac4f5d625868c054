import { defineConfig } from 'vitest/config';
import { repoAlias } from './vite.config';

export default defineConfig({
  resolve: { alias: repoAlias },
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
