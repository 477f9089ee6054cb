// SPDX-License-Identifier: MIT
// Benchmark runner: `npm run bench -- [matmul] [conv] [train] [optim] [nn] [pipeline] [--json] [--quick]
//   [--batch 8] [--steps 3] [--warmup 2] [--gemm tiled|prefetch] [--bk 8|16] [--no-winograd-wgrad] [--no-flat] [--tune] [--kernels]`.
// --kernels: the train row's profile also sums one step's dispatches per kernel file.
// --no-flat: the train step's optimizer updates each parameter tensor alone (no arenas).
// --tune: the train bench first autotunes its model's problems on this device (alexnet tune's
// measurement) and runs with the measured choices.
// --no-winograd-wgrad keeps the direct weight gradient where the selector would take Winograd
// (CONV_TUNING.winogradWgrad; CPU drivers).
// Prints a table per benchmark (GFLOP/s with the error against the reference in the same
// row), or JSON rows for machines with --json.
// The bodies (bench/*.ts but pipeline.ts) have no Node imports and run in a page too
// (npm run bench:browser, bench/browser/); this file is their Node command line.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { initDevice } from '../src/node/device.js';
import { formatTuneTable } from '../src/node/commands/tune.js';
import type { Device } from '../src/tensor/device.js';
import { benchMatmul } from './matmul.js';
import { benchPipeline } from './pipeline.js';
import { printTable, type BenchRow } from './common.js';
import { benchAlexnet } from './alexnet.js';
import { benchOptim } from './optim.js';
import { benchNn } from './nn.js';
import { convRows } from './workloads.js';
import { GPU_GEMM } from '../src/tensor/ops/matmul/index.js';
import { CONV_TUNING } from '../src/tensor/ops/conv2d/index.js';

export async function runBench(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  // names are the arguments that are neither options nor an option's value (--batch 128)
  const valued = ['--batch', '--steps', '--warmup', '--gemm', '--torch', '--bk'];
  const names = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.includes(argv[i - 1]!)));
  const gemmArg = argv.indexOf('--gemm');
  if (gemmArg >= 0 && (argv[gemmArg + 1] === 'tiled' || argv[gemmArg + 1] === 'prefetch')) GPU_GEMM.version = argv[gemmArg + 1] as 'tiled' | 'prefetch';
  const bkArg = argv.indexOf('--bk');
  if (bkArg >= 0 && (argv[bkArg + 1] === '8' || argv[bkArg + 1] === '16')) GPU_GEMM.bk = Number(argv[bkArg + 1]) as 8 | 16;
  if (argv.includes('--no-winograd-wgrad')) CONV_TUNING.winogradWgrad = false;
  const wanted = names.length ? names : ['matmul', 'conv', 'train'];
  const device = await initDevice();
  const log = json ? () => {} : (s: string) => console.log(s);
  const all: (BenchRow & { device: string })[] = [];
  try {
    log(`device: ${device.describe()}${device.features.timestamp ? ' (timestamp queries)' : ' (wall clock)'}`);
    for (const name of wanted) {
      let rows: BenchRow[];
      if (name === 'matmul') {
        rows = await benchMatmul(device, { quick });
      } else if (name === 'conv') {
        rows = await convRows(device, { batch: 8, repeats: quick ? 2 : 5, skipSlow: quick });
      } else if (name === 'train' || name === 'alexnet') {
        rows = await benchAlexnetRunner({ device, quick, json });
      } else if (name === 'optim') {
        rows = await benchOptim(device);
      } else if (name === 'nn') {
        rows = await benchNn(device);
      } else if (name === 'pipeline') {
        const pipe = await benchPipeline({ limit: quick ? 100 : 400 });
        rows = pipe.map((r) => ({
          bench: `pipeline ${r.imageSize}px${r.augment ? ' +augment' : ''}`, shape: `${r.images} images`,
          version: `${r.workers} workers`, ms: (1000 * r.seconds) / r.images, gflops: NaN, maxRelError: null,
          note: `${r.imagesPerSec.toFixed(1)} images/s (decode + resize${r.augment ? ' + augment' : ''})`,
        }));
      } else {
        console.error(`unknown benchmark '${name}' (known: matmul, conv, train, optim, nn, pipeline)`);
        return 2;
      }
      if (!json) printTable(name, rows);
      all.push(...rows.map((r) => ({ ...r, device: device.describe() })));
    }
    if (json) console.log(JSON.stringify(all, null, 1));
    return 0;
  } finally {
    device.destroy();
  }
}

/** `train`: AlexNet's forward and training step, with the command line's options and --torch file. */
async function benchAlexnetRunner(a: { device: Device; quick: boolean; json: boolean }): Promise<BenchRow[]> {
  const num = <T extends number | undefined>(name: string, dflt: T): number | T => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const ti = process.argv.indexOf('--torch');
  const torch = ti > 0 ? JSON.parse(readFileSync(process.argv[ti + 1]!, 'utf8')) : undefined;
  const log = a.json ? () => {} : console.log;
  return benchAlexnet(a.device, {
    torch,
    batch: num('--batch', 8), steps: num('--steps', a.quick ? 1 : 3), warmup: num('--warmup', undefined),
    flat: !process.argv.includes('--no-flat'),
    kernels: process.argv.includes('--kernels'),
    tune: process.argv.includes('--tune'),
    onTuned: (adapter, entries) => log(formatTuneTable(adapter, entries)),
    log,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runBench(process.argv.slice(2)).then((code) => process.exit(code));
}
