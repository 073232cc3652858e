import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@quadrants/source'] },
  ssr: { resolve: { conditions: ['@quadrants/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // One PostgreSQL container for the whole run (test/global-setup.ts); each test file makes a
    // database of its own from the migrated template, so files never see each other's rows.
    globalSetup: ['test/global-setup.ts'],
    // Sized for a busy 2-core CI runner: a container starts, and the concurrency and fault tests
    // send thousands of requests and kill PostgreSQL.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
