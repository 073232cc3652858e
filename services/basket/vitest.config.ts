import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@quadrants/source'] },
  ssr: { resolve: { conditions: ['@quadrants/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // One Redis container for the whole run (test/global-setup.ts); each test file keeps its
    // keys under a prefix of its own, so files never see each other's baskets.
    globalSetup: ['test/global-setup.ts'],
    // Sized for a busy 2-core CI runner: containers start, restart and pause, and the
    // concurrency tests send many requests.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
