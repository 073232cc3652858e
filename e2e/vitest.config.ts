import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The dashboard's test imports the service kit, from source as every package's tests do.
  resolve: { conditions: ['@quadrants/source'] },
  ssr: { resolve: { conditions: ['@quadrants/source'] } },
  test: {
    include: ['test/**/*.e2e.test.ts'],
    globalSetup: ['src/global-setup.ts'],
    // Sized for a busy 2-core CI runner. The global setup may build every image (minutes).
    hookTimeout: 600_000,
    // A test may wait for replicas (up to 120 s, src/wait.ts), run a bounded load loop (90 s)
    // and wait again; 300 s covers the sum with room, and still ends a hung test.
    testTimeout: 300_000,
    // Vitest exits this long after it starts closing, the global teardown unfinished or not;
    // its default of 10 s can cut `docker-compose down`, which gives each container 30 s.
    teardownTimeout: 120_000,
    // One system under test: files run one after another so faults never overlap.
    fileParallelism: false,
  },
});
