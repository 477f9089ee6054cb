import { defineConfig } from 'vitest/config';

// The browser tests (npm run test:browser): headless Chromium and Firefox ESR driven by
// puppeteer-core against the built app (dist/web). Files end in .browser.ts so `npm test`
// (test/**/*.test.ts) does not pick them up. One file at a time: the browsers share 2 cores.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    // its own temp folder and autotune cache, and never a stale dist/ (test/helpers/global-setup.ts)
    globalSetup: ['test/helpers/global-setup.ts'],
    fileParallelism: false,
    // limits only catch hangs (test/browser/app.browser.ts): a busy machine is slow
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});
