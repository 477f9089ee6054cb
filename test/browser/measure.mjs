// The small demo model's forward and training-step throughput (images/s) in Node, headless
// Chromium and headless Firefox ESR, measured side by side in one run with the same code (a
// string run on the core module in Node and on window.alexnet in each page).
// With --lab LAYER (conv1..conv5) also the kernel lab's conv rows for that AlexNet layer
// (batch 1) in each browser.
// Run after `npm run build && npm run build:web`:  node test/browser/measure.mjs [--steps N] [--lab conv3]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const steps = Number(arg('--steps')) || 4;
const labLayer = arg('--lab');
const labRows = [];
const LIMIT_MS = 300_000;

// keras-bn at width 0.25, 67 px (the demo's model), batch 8, SGD with momentum
const MEASURE = `async (lib, steps) => {
  const { alexnet, SGD, compile, fit, predict, getDevice } = lib;
  const size = 67, batch = 8, n = steps * batch;
  const model = alexnet({ preset: 'keras-bn', numClasses: 2, inputSize: size, width: 0.25, seed: 1 });
  const x = new Float32Array(n * 3 * size * size);
  let s = 1;
  for (let i = 0; i < x.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; x[i] = (s >>> 8) / 16777216; }
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  compile(model, { optimizer: new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const data = { x, y, sampleShape: [3, size, size] };
  const warm = { x: x.subarray(0, 2 * batch * 3 * size * size), y: y.subarray(0, 2 * batch), sampleShape: [3, size, size] };
  await fit(model, warm, { epochs: 1, batchSize: batch, verbose: 0 });
  let t0 = performance.now();
  await fit(model, data, { epochs: 1, batchSize: batch, verbose: 0 });
  const train = n / ((performance.now() - t0) / 1000);
  await predict(model, x.subarray(0, batch * 3 * size * size), { sampleShape: [3, size, size], batchSize: batch });
  t0 = performance.now();
  await predict(model, x, { sampleShape: [3, size, size], batchSize: batch });
  const forward = n / ((performance.now() - t0) / 1000);
  model.dispose();
  const d = getDevice();
  return { train, forward, adapter: d.describe() || '(name hidden)', cpu: d.info.isCpu };
}`;

const run = (lib) => new Function('lib', 'steps', `return (${MEASURE})(lib, steps)`)(lib, steps);

function pkgVersion(p) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', p], { encoding: 'utf8' });
  } catch {
    return '?';
  }
}

const rows = [];
{
  const { initDevice, destroyDevice } = await import(join(root, 'dist/src/node/device.js'));
  await initDevice();
  const lib = await import(join(root, 'dist/src/index.js'));
  const r = await run(lib);
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules/webgpu/package.json'), 'utf8'));
  rows.push({ where: `Node ${process.version}, npm webgpu ${pkg.version} (Dawn)`, ...r });
  destroyDevice();
}

const { serveStatic } = await import(join(root, 'dist/src/node/serve.js'));
const { server, url } = await serveStatic(join(root, 'dist/web'), 0);
const browsers = {
  chromium: { browser: 'chrome', executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--headless=new', '--enable-unsafe-webgpu'], protocolTimeout: LIMIT_MS },
  firefox: { browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, extraPrefsFirefox: { 'dom.webgpu.enabled': true, 'gfx.webgpu.ignore-blocklist': true }, protocolTimeout: LIMIT_MS },
};
try {
  for (const [name, opts] of Object.entries(browsers)) {
    const browser = await puppeteer.launch(opts);
    const timer = setTimeout(() => browser.process()?.kill('SIGKILL'), LIMIT_MS);
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.gpu === 'ready' || document.body.dataset.gpu === 'unavailable', { timeout: 60_000 });
      const r = await page.evaluate(`(${MEASURE})(globalThis.alexnet, ${steps})`);
      rows.push({ where: `${name} ${await browser.version()}`, ...r });
      if (labLayer) {
        const res = await page.evaluate(async (layer) => {
          const lab = globalThis.app.lab;
          const { ALEXNET_CONV } = globalThis.app.labShapes;
          return lab.runConv(ALEXNET_CONV[layer], 1);
        }, labLayer);
        for (const row of res.rows) labRows.push({ browser: name, ...row });
        labRows.push({ browser: name, choices: res.choices, problem: res.problem });
      }
    } finally {
      clearTimeout(timer);
      await browser.close().catch(() => {});
    }
  }
} finally {
  server.close();
}

console.log(`keras-bn AlexNet, width 0.25, 67 px, batch 8, ${steps} steps timed after 2 warm-up steps; Mesa ${pkgVersion('mesa-vulkan-drivers')}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| where | adapter | train images/s | forward images/s |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.where} | ${r.adapter}${r.cpu ? ' (CPU)' : ''} | ${r.train.toFixed(2)} | ${r.forward.toFixed(2)} |`);
if (labLayer) {
  console.log(`\nKernel lab, AlexNet ${labLayer} (batch 1), 1 timed run after 1 warm-up:`);
  console.log('| browser | pass | version | ms | GFLOP/s | max error |');
  console.log('|---|---|---|---:|---:|---:|');
  for (const r of labRows) {
    if (r.choices) console.log(`| ${r.browser} | selector | ${r.choices.map((c) => `${c.pass}: ${c.version}`).join(', ')} | | | |`);
    else console.log(`| ${r.browser} | ${r.pass} | ${r.version} | ${r.ms?.toFixed(1) ?? ''} | ${r.gflops?.toFixed(2) ?? ''} | ${r.error === null ? 'cannot run: ' + r.unsupported : r.error.toExponential(1)} |`);
  }
}
