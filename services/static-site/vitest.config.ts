import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@quadrants/source'] },
  ssr: { resolve: { conditions: ['@quadrants/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // Sized for a busy 2-core CI runner: tests start real processes, kill them mid-upload and
    // send many uploads at once.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
