// The web app in real headless browsers (Chromium on SwiftShader, Firefox ESR on lavapipe):
// it starts, trains the small model three steps with Node's losses and Node's change of every
// parameter and buffer (so a backward pass or an optimizer that does nothing in the browser
// fails), trains from a folder set into the file input to a checkpoint, exchanges checkpoints
// with the CLI both ways, and says why when WebGPU is missing. An uncaught error in the page
// fails the test it happens in. `npm run test:browser` (builds dist/ and dist/web first).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../src/node/serve.js';
import { writeSyntheticSet } from '../../src/node/demo.js';
import puppeteer, { type Browser } from 'puppeteer-core';
import { EXECUTABLES, installed, launchOptions, waitState, type BrowserName } from './browsers.js';
import { PARITY_STEPS, parityProblems, unchanged, type ParityResult } from './parity.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'node', 'bin', 'alexnet.js');
/**
 * Every browser session ends within this, or its browser is killed and the test fails. Like
 * every wait below it only catches a hang: a quiet machine needs a tenth of it, a busy one
 * (several jobs on two cores) may need most.
 */
const SESSION_LIMIT_MS = 1_800_000;
const WAIT_MS = 300_000;
const TRAIN_MS = 900_000;

let url = '';
let close = () => {};
let work = '';
let trainDir = '';
let probeImage = '';
let node: ParityResult = { losses: [], changes: [] };
/** the browsers' change of each tensor over the three steps must match Node's within this */
const CHANGE_TOL = 1e-3; // measured: Chromium (SwiftShader) 3.6e-5, Firefox (lavapipe, as Node) 0
let cliCheckpoint = '';

function alexnetCli(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`alexnet ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  const missing = (['chromium', 'firefox'] as const).filter((b) => !installed(b));
  if (missing.length) {
    // the set-up step: Debian's browsers, never a downloaded one
    execFileSync('bash', [join(root, 'scripts', 'install-browsers.sh')], { stdio: 'inherit' });
  }
  for (const b of ['chromium', 'firefox'] as const) if (!installed(b)) throw new Error(`${EXECUTABLES[b]} is missing: run scripts/install-browsers.sh as root`);
  if (!existsSync(join(root, 'dist', 'web', 'app.js')) || !existsSync(cli)) throw new Error('dist/ or dist/web/ is missing: run `npm run build && npm run build:web` (npm run test:browser does)');
  const served = await serveStatic(join(root, 'dist', 'web'), 0);
  url = served.url;
  close = () => served.server.close();

  work = mkdtempSync(join(tmpdir(), 'alexnet-browser-'));
  const set = writeSyntheticSet(join(work, 'data'), { size: 64, perClass: { train: 8, validation: 0, test: 0 }, seed: 3, jpegFraction: 0 });
  trainDir = set.train;
  probeImage = join(trainDir, 'stripes', readdirSync(join(trainDir, 'stripes'))[0]!);

  // Node's losses for the parity steps, on this machine's Dawn/lavapipe
  const { initDevice, destroyDevice } = await import('../../src/node/device.js');
  await initDevice();
  const lib = await import('../../src/index.js');
  node = (await new Function('lib', `return (${PARITY_STEPS})(lib)`)(lib)) as ParityResult;
  destroyDevice();
  // Node's own steps learn something: the loss moves, every tensor changes but the conv biases
  // before training-mode BatchNorm (exactly zero gradient)
  expect(Math.abs(node.losses[2]! - node.losses[0]!)).toBeGreaterThan(0.05);
  expect(unchanged(node)).toEqual(['features.0.bias', 'features.4.bias', 'features.8.bias', 'features.11.bias', 'features.14.bias']);
  expect(node.changes.length).toBe(36);

  // a checkpoint written by the CLI
  alexnetCli(['train', '--data', trainDir, '--model', 'keras-bn', '--width', '0.25', '--input-size', '67', '--epochs', '1', '--batch-size', '4', '--validation-split', '0.25', '--out', join(work, 'cli'), '--no-autotune']);
  cliCheckpoint = join(work, 'cli', 'best.safetensors');
}, 1_800_000);

afterAll(() => close());

/** A browser and a page for one describe block, killed if it outlives SESSION_LIMIT_MS. */
function session(name: BrowserName, webgpu = true) {
  let browser: Browser | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const s = { page: undefined as unknown as Page, killed: false, pageErrors: [] as string[] };
  beforeAll(async () => {
    browser = await puppeteer.launch(launchOptions(name, webgpu));
    timer = setTimeout(() => {
      s.killed = true;
      browser?.process()?.kill('SIGKILL');
    }, SESSION_LIMIT_MS);
    s.page = await browser.newPage();
    s.page.on('pageerror', (e) => {
      console.log(`[${name} pageerror] ${(e as Error).message}`);
      s.pageErrors.push((e as Error).message);
    });
    await s.page.goto(url);
  });
  // an uncaught error in the page fails the test during which it happened
  afterEach(() => {
    const errors = s.pageErrors.splice(0);
    expect(errors, `${name}: uncaught errors in the page`).toEqual([]);
  });
  afterAll(async () => {
    clearTimeout(timer);
    await Promise.race([browser?.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    browser?.process()?.kill('SIGKILL');
    if (s.killed) throw new Error(`${name}: the session passed its time limit (${SESSION_LIMIT_MS / 1000} s) and was killed`);
  });
  return s;
}

/** The training folder set into the folder input: as a directory (Chromium), or as Files with their relative paths (Firefox's WebDriver BiDi cannot set a directory). */
async function setFolder(page: Page, name: BrowserName): Promise<void> {
  if (name === 'chromium') {
    const input = (await page.$('#folder'))!;
    await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(trainDir);
    return;
  }
  const files: { path: string; b64: string }[] = [];
  for (const cls of readdirSync(trainDir)) {
    for (const f of readdirSync(join(trainDir, cls))) files.push({ path: `train/${cls}/${f}`, b64: readFileSync(join(trainDir, cls, f)).toString('base64') });
  }
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const { path, b64 } of list) {
      const f = new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], path.split('/').pop()!, { type: 'image/png' });
      Object.defineProperty(f, 'webkitRelativePath', { value: path });
      dt.items.add(f);
    }
    const input = document.getElementById('folder') as HTMLInputElement;
    input.files = dt.files;
    input.dispatchEvent(new Event('change'));
  }, files);
}

/** `alexnet predict --json` probabilities of the probe image with a checkpoint file. */
function cliProbabilities(checkpoint: string): Record<string, number> {
  const out = JSON.parse(alexnetCli(['predict', checkpoint, probeImage, '--json', '--no-autotune'])) as { probabilities: Record<string, number> }[];
  return out[0]!.probabilities;
}

/** The page's probabilities of the probe image with checkpoint bytes (decoded by the browser). */
async function pageProbabilities(page: Page, checkpointB64: string): Promise<Record<string, number>> {
  return page.evaluate(
    async (ckpt, img) => {
      const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const { web } = (globalThis as any).alexnet;
      const loaded = web.loadCheckpointBytes(bytes(ckpt), 'checkpoint');
      const image = await web.decodeImage(new Blob([bytes(img)], { type: 'image/png' }), 'probe.png');
      const p = await web.predictImage(loaded.model, loaded.meta, image);
      loaded.model.dispose();
      return Object.fromEntries(p.ranked.map((r: { class: string; probability: number }) => [r.class, r.probability]));
    },
    checkpointB64,
    readFileSync(probeImage).toString('base64'),
  );
}

function expectClose(a: Record<string, number>, b: Record<string, number>, tol: number): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) expect(Math.abs(a[k]! - b[k]!), `class ${k}: ${a[k]} vs ${b[k]}`).toBeLessThan(tol);
}

for (const name of ['chromium', 'firefox'] as const) {
  describe(`${name}: the web app with WebGPU`, () => {
    const s = session(name);

    it('starts on a WebGPU adapter', async () => {
      await waitState(s.page, 'gpu', ['ready'], WAIT_MS);
      expect(await s.page.$eval('#gpu-error', (e) => (e as HTMLElement).hidden)).toBe(true);
    });

    it('kernel lab: every conv2d version (three passes) and every matmul version within 1e-4 of float64', async () => {
      await waitState(s.page, 'gpu', ['ready'], WAIT_MS);
      const t0 = Date.now();
      const results = (await s.page.evaluate(async () => {
        const lab = (globalThis as any).app.lab;
        return [
          await lab.runConv({ n: 2, c: 5, h: 9, w: 9, k: 4, r: 3, stride: 1, pad: 1 }, 1),
          await lab.runConv({ n: 1, c: 3, h: 19, w: 19, k: 8, r: 5, stride: 2, pad: 1 }, 1, ['04_winograd_s2d']),
          await lab.runMatmul({ m: 33, n: 36, k: 40 }, 1),
          await lab.runConv({ n: 2, c: 8, h: 11, w: 10, k: 12, r: 3, stride: 1, pad: 1 }, 1, ['06_winograd_gemm']),
        ];
      })) as { problem: string; rows: { version: string; pass: string; error: number | null; ms: number | null; unsupported?: string }[] }[];
      const [stride1, stride2, mm, wino06] = results;
      console.log(`${name}: kernel lab on three small problems in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // every version runs somewhere: Winograd on the stride-1 shape, its space-to-depth form on the strided one
      const ran = (r: (typeof results)[number]) => r.rows.filter((row) => row.error !== null).map((row) => `${row.pass} ${row.version}`);
      expect(ran(stride1!)).toEqual(expect.arrayContaining(['forward 01_naive', 'forward 02_im2col', 'forward 03_implicit_gemm', 'forward 04_winograd', 'forward 05_tiled_gemm', 'dgrad 01_naive', 'dgrad 04_winograd', 'wgrad 01_naive', 'wgrad 05_tiled_gemm']));
      expect(ran(stride2!)).toContain('forward 04_winograd_s2d');
      // every matmul version but those this adapter cannot run (09 needs subgroups of exactly 8), each named
      const refused = mm!.rows.filter((row) => row.unsupported).map((row) => row.version);
      expect(refused.every((v) => v === '09_subgroup_broadcast'), refused.join(', ')).toBe(true);
      expect(ran(mm!)).toHaveLength(9 - refused.length);
      expect(ran(wino06!)).toEqual(['forward 06_winograd_gemm', 'dgrad 06_winograd_gemm', 'wgrad 06_winograd_gemm']);
      for (const r of results) {
        for (const row of r.rows) {
          if (row.error === null) continue;
          expect(row.error, `${r.problem}: ${row.pass} ${row.version}`).toBeLessThan(1e-4);
          expect(row.ms).toBeGreaterThan(0);
        }
      }
    });

    it('kernel lab and docs/conv2d.md: #lab=conv1 opens the lab on conv1, and each row shows its section of the doc', async () => {
      const page = await s.page.browser().newPage();
      try {
        await page.goto(`${url}#lab=conv1`);
        await waitState(page, 'gpu', ['ready'], 60_000);
        expect(await page.$eval('#tab-lab', (e) => (e as HTMLElement).hidden)).toBe(false);
        expect(await page.$eval('#lab-layer', (e) => (e as HTMLSelectElement).value)).toBe('conv1');
        await page.evaluate(() => (globalThis as any).app.lab.runConv({ n: 1, c: 2, h: 6, w: 6, k: 4, r: 3, stride: 1, pad: 0 }, 1, ['03_implicit_gemm']));
        const links = await page.$$eval('#lab-table a.doc', (as) => as.map((a) => a.textContent));
        expect(links).toContain('§ Rung 03: implicit GEMM');
        await page.$$eval('#lab-table a.doc', (as) => (as.find((a) => a.textContent === '§ Rung 03: implicit GEMM') as HTMLElement).click());
        const shown = await page.$eval('#lab-source', (e) => e.textContent ?? '');
        expect(shown.startsWith('docs/conv2d.md#rung-03-implicit-gemm\n\n## Rung 03: implicit GEMM')).toBe(true);
        expect(shown).not.toMatch(/\n## Rung 05/); // the section alone
      } finally {
        await page.close();
      }
    });

    it(`trains the small model three steps: Node's losses (within 1e-4) and Node's change of every tensor (within ${CHANGE_TOL})`, async () => {
      const got = (await s.page.evaluate(`(${PARITY_STEPS})(globalThis.alexnet)`)) as ParityResult;
      expect(got.losses).toHaveLength(3);
      const { problems, worst } = parityProblems(got, node, CHANGE_TOL);
      console.log(`${name}: losses ${got.losses.join(', ')} (Node ${node.losses.join(', ')}); the change of ${got.changes.length} tensors: worst relative difference from Node ${worst.toExponential(2)}`);
      expect(problems).toEqual([]);
    });

    it('trains from a folder set into the file input, to a checkpoint the CLI loads', async () => {
      const page = s.page;
      await setFolder(page, name);
      await page.waitForFunction(() => /16 images in 2 classes/.test(document.getElementById('data-status')!.textContent ?? ''), { timeout: WAIT_MS });
      for (const [id, v] of Object.entries({ epochs: '2', batch: '4', 'val-split': '0.25', width: '0.25', 'input-size': '67' })) {
        await page.$eval(`#${id}`, (e, value) => ((e as HTMLInputElement).value = value), v);
      }
      await page.click('#train');
      await waitState(page, 'train', ['done'], TRAIN_MS);
      const log = await page.$eval('#progress', (e) => e.textContent ?? '');
      expect(log).toMatch(/Epoch 2\/2/);
      expect(log).toMatch(/val_accuracy/);
      if (name === 'chromium' && process.env.UPDATE_SCREENSHOTS) {
        mkdirSync(join(root, 'docs', 'img'), { recursive: true });
        await page.setViewport({ width: 1100, height: 900 });
        await page.screenshot({ path: join(root, 'docs', 'img', 'web-train.png') as `${string}.png`, fullPage: true });
      }
      const b64 = await page.evaluate(async () => {
        const bytes: Uint8Array = (globalThis as any).app.train.checkpoint('best');
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      });
      const file = join(work, `${name}-best.safetensors`);
      writeFileSync(file, Buffer.from(b64, 'base64'));
      // the CLI loads the page's checkpoint and predicts what the page predicts
      expectClose(cliProbabilities(file), await pageProbabilities(page, b64), 1e-4);
      // and the checkpoint survived in IndexedDB
      const kept = await page.evaluate(async () => (await (globalThis as any).alexnet.web.storedCheckpointKeys()).sort());
      expect(kept).toEqual(['best.safetensors', 'last.safetensors']);
    });

    it('resumes from the last checkpoint (kept in IndexedDB) for one more epoch', async () => {
      const page = s.page;
      await page.$eval('#epochs', (e) => ((e as HTMLInputElement).value = '3'));
      await page.click('#resume');
      await waitState(page, 'train', ['done'], TRAIN_MS);
      const log = await page.$eval('#progress', (e) => e.textContent ?? '');
      expect(log).toMatch(/resuming at epoch 3/);
      expect(log).toMatch(/Epoch 3\/3/);
      expect(log).not.toMatch(/Epoch 2\/3/);
    });

    it("loads the CLI's checkpoint in the Predict tab and predicts what the CLI predicts", async () => {
      const page = s.page;
      const input = (await page.$('#checkpoint-file'))!;
      await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(cliCheckpoint);
      await waitState(page, 'checkpoint', ['loaded'], WAIT_MS);
      expect(await page.$eval('#predict-model', (e) => e.textContent)).toMatch(/best\.safetensors.*circles, stripes/);
      const inPage = await page.evaluate(async (img) => {
        const bytes = Uint8Array.from(atob(img), (c) => c.charCodeAt(0));
        const image = await (globalThis as any).alexnet.web.decodeImage(new Blob([bytes], { type: 'image/png' }), 'probe.png');
        const ranked = await (globalThis as any).app.predict.predict(image);
        return Object.fromEntries(ranked.map((r: { class: string; probability: number }) => [r.class, r.probability]));
      }, readFileSync(probeImage).toString('base64'));
      expectClose(inPage, cliProbabilities(cliCheckpoint), 1e-4);
      expect(await page.$eval('#predict-table', (e) => e.textContent)).toMatch(/circles/);
    });
  });

  describe(`${name}: without WebGPU`, () => {
    const s = session(name, false);
    it('shows the message, not a blank page', async () => {
      await waitState(s.page, 'gpu', ['unavailable'], WAIT_MS);
      const msg = await s.page.$eval('#gpu-error', (e) => ((e as HTMLElement).hidden ? '' : e.textContent ?? ''));
      expect(msg).toMatch(name === 'chromium' ? /no adapter.*--enable-unsafe-webgpu/s : /dom\.webgpu\.enabled/);
    });
  });
}

