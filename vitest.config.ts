import { defineConfig } from 'vitest/config';

// GPU tests share one software or hardware adapter: run files one after another so that
// two Dawn devices never fight over the machine's cores (lavapipe uses every core).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
