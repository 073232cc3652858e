import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each render spawns kubectl; on a busy two-core machine that can take seconds.
    testTimeout: 30_000,
  },
});
