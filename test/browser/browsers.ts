// Launching Debian's browsers headless with WebGPU for the browser tests and measurements:
// chromium (WebGPU on its bundled SwiftShader) and firefox-esr (WebGPU on Mesa lavapipe).
// puppeteer-core downloads nothing; these are the system's browsers. Every session has a hard
// time limit: past it the browser process is killed and the test fails.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type LaunchOptions, type Page } from 'puppeteer-core';

export type BrowserName = 'chromium' | 'firefox';

export const EXECUTABLES: Record<BrowserName, string> = { chromium: '/usr/bin/chromium', firefox: '/usr/bin/firefox-esr' };

export function installed(name: BrowserName): boolean {
  return existsSync(EXECUTABLES[name]);
}

/** Launch options: WebGPU on (or left at the browser's default, for the "no WebGPU" page). */
export function launchOptions(name: BrowserName, webgpu = true): LaunchOptions {
  if (name === 'chromium') {
    return {
      browser: 'chrome',
      executablePath: EXECUTABLES.chromium,
      headless: true,
      // --no-sandbox: required as root; --enable-unsafe-webgpu: without it requestAdapter() gives null here
      args: ['--no-sandbox', '--headless=new', ...(webgpu ? ['--enable-unsafe-webgpu'] : [])],
      protocolTimeout: 900_000,
      timeout: 180_000, // to start: a busy machine may take well over the default 30 s
    };
  }
  return {
    browser: 'firefox',
    executablePath: EXECUTABLES.firefox,
    headless: true,
    extraPrefsFirefox: webgpu ? { 'dom.webgpu.enabled': true, 'gfx.webgpu.ignore-blocklist': true } : { 'dom.webgpu.enabled': false },
    protocolTimeout: 900_000,
    timeout: 180_000,
  };
}

/**
 * Runs `fn` with a fresh browser and page; kills the browser if the whole session takes longer
 * than `limitMs` (a hang fails instead of blocking CI). An uncaught error in the page fails it.
 */
export async function withBrowser<T>(name: BrowserName, limitMs: number, fn: (page: Page, browser: Browser) => Promise<T>, webgpu = true): Promise<T> {
  const browser = await puppeteer.launch(launchOptions(name, webgpu));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      browser.process()?.kill('SIGKILL');
      reject(new Error(`${name}: the session passed its time limit of ${limitMs / 1000} s and was killed`));
    }, limitMs);
  });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || process.env.BROWSER_LOG) console.log(`[${name} console.${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => {
      console.log(`[${name} pageerror] ${(e as Error).message}`);
      pageErrors.push((e as Error).message);
    });
    const result = await Promise.race([fn(page, browser), limit]);
    // an uncaught error in the page is a failure, whatever fn returned
    if (pageErrors.length) throw new Error(`${name}: uncaught error(s) in the page:\n${pageErrors.join('\n')}`);
    return result;
  } finally {
    clearTimeout(timer);
    await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    browser.process()?.kill('SIGKILL');
  }
}

/** Waits until body[data-<key>] is one of `values` (or throws on 'error'/'unavailable' not asked for). */
export async function waitState(page: Page, key: string, values: string[], timeoutMs: number): Promise<string> {
  const handle = await page.waitForFunction(
    (k: string, vs: string[]) => {
      const v = document.body.dataset[k];
      return v !== undefined && (vs.includes(v) || v === 'error' || v === 'unavailable') ? v : false;
    },
    { timeout: timeoutMs, polling: 200 },
    key,
    values,
  );
  const v = (await handle.jsonValue()) as string;
  if (!values.includes(v)) {
    const why = await page.evaluate(() => (document.getElementById('gpu-error')?.textContent || '') + '\n' + (document.getElementById('progress')?.textContent || '').slice(-2000));
    throw new Error(`body[data-${key}] became '${v}': ${why}`);
  }
  return v;
}
