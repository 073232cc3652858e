import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@quadrants/source'] },
  ssr: { resolve: { conditions: ['@quadrants/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // Sized for a busy 2-core CI runner: lifecycle tests start real Node processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
