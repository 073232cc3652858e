import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Not scripts/node_modules/.vite: pnpm takes a folder with node_modules for a package, and
  // `pnpm exec` there then fails with "No package found in this workspace".
  cacheDir: '../node_modules/.vite/scripts',
  test: {
    include: ['*.test.ts'],
    // Each test starts scripts/lint.ts, and the workflow linter compiles a 9.5 MB WebAssembly
    // module; on a busy two-core machine that can take seconds.
    testTimeout: 30_000,
  },
});
