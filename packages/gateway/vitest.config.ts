import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@quadrants/source'] },
  ssr: { resolve: { conditions: ['@quadrants/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // Sized for a busy 2-core CI runner: one test starts the gateway as a real process.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
