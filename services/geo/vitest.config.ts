import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@quadrants/source'] },
  ssr: { resolve: { conditions: ['@quadrants/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // Sized for a busy 2-core CI runner: the accuracy tests spawn GeographicLib and PROJ
    // processes, and the property tests send thousands of requests, beside other packages.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
