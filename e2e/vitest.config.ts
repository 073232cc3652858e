import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.e2e.test.ts'],
    globalSetup: ['src/global-setup.ts'],
    // Building images and starting containers takes a while; each test waits on real systems.
    hookTimeout: 600_000,
    testTimeout: 120_000,
    // One system under test: files run one after another so faults never overlap.
    fileParallelism: false,
  },
});
