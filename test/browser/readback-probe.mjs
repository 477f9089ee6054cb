// Where the time goes in Firefox against Node on the same lavapipe: a tiny op's readback round
// trip, a 4 MiB readback, and one training step of the demo model with its dispatches, submits
// and quiet-wait sleeps (BENCHMARKS.md, "In the browser"). After `npm run build && npm run build:web`:
//   node test/browser/readback-probe.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROBE = `async (lib) => {
  const { Tensor, add, getDevice, alexnet, SGD, compile, fit } = lib;
  const d = getDevice();
  const a = Tensor.fromArray(new Float32Array(4).fill(1), [4]);
  for (let i = 0; i < 5; i++) await add(a, a).data();
  let t0 = performance.now();
  for (let i = 0; i < 50; i++) { const t = add(a, a); await t.data(); t.dispose(); }
  const roundtrip = (performance.now() - t0) / 50;
  const big = Tensor.fromArray(new Float32Array(1 << 20).fill(1), [1 << 20]);
  for (let i = 0; i < 3; i++) { const t = add(big, big); await t.data(); t.dispose(); }
  t0 = performance.now();
  for (let i = 0; i < 10; i++) { const t = add(big, big); await t.data(); t.dispose(); }
  const read4mb = (performance.now() - t0) / 10;
  const size = 67, batch = 8;
  const model = alexnet({ preset: 'keras-bn', numClasses: 2, inputSize: size, width: 0.25, seed: 1 });
  const x = new Float32Array(3 * batch * 3 * size * size).fill(0.3);
  const y = Int32Array.from({ length: 3 * batch }, (_, i) => i % 2);
  compile(model, { optimizer: new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await fit(model, { x, y, sampleShape: [3, size, size] }, { epochs: 1, batchSize: batch, verbose: 0 });
  const s0 = { ...d.stats };
  t0 = performance.now();
  await fit(model, { x, y, sampleShape: [3, size, size] }, { epochs: 1, batchSize: batch, verbose: 0 });
  const stepMs = (performance.now() - t0) / 3;
  const per = (k) => (d.stats[k] - s0[k]) / 3;
  return { roundtripMs: roundtrip, read4mbMs: read4mb, stepMs, dispatchesPerStep: per('dispatches'), submitsPerStep: per('submits'), sleptMsPerStep: per('sleptMs'), bytesReadPerStep: per('bytesRead') };
}`;
const { initDevice, destroyDevice } = await import(join(root, 'dist/src/node/device.js'));
await initDevice();
const lib = await import(join(root, 'dist/src/index.js'));
console.log('node', await new Function('lib', `return (${PROBE})(lib)`)(lib));
destroyDevice();
const { serveStatic } = await import(join(root, 'dist/src/node/serve.js'));
const { server, url } = await serveStatic(join(root, 'dist/web'), 0);
const browser = await puppeteer.launch({ browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, extraPrefsFirefox: { 'dom.webgpu.enabled': true, 'gfx.webgpu.ignore-blocklist': true }, protocolTimeout: 200000 });
const page = await browser.newPage();
await page.goto(url);
await page.waitForFunction(() => document.body.dataset.gpu === 'ready', { timeout: 60000 });
console.log('firefox', await page.evaluate(`(${PROBE})(globalThis.alexnet)`));
await browser.close();
server.close();
