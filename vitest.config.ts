import { defineConfig } from 'vitest/config';

// GPU tests share one software or hardware adapter: run files one after another so that
// two Dawn devices never fight over the machine's cores (lavapipe uses every core).
// The global setup gives the run its own temp folder (the autotune cache points there), draws
// and prints the fuzz seed, counts the fuzz cases, and rebuilds a stale dist/ first.
// Time limits only catch hangs: tests are bounded by their work, and a busy machine may be
// several times slower than a quiet one.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
