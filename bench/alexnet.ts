// SPDX-License-Identifier: MIT
// AlexNet forward and training-step throughput (images/s), in the layout the peer figures
// in BENCHMARKS.md use: the 2012 AlexNet without LRN and groups, 227x227, 2 classes,
// dropout off, softmax cross-entropy, plain SGD lr 0.01. Also prints the per-layer profile.
//   npm run bench -- train [--batch 8] [--quick] [--json]
import { pathToFileURL } from 'node:url';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/layers/index.js';
import { SGD } from '../src/optim/index.js';
import { noGrad, rand, tidy, type Device } from '../src/tensor/index.js';
import { initDevice } from '../src/node/device.js';
import { formatProfile, profileTrainStep } from '../src/train/profile.js';
import { median, type BenchRow } from './common.js';

/** The peers' benchmark model: AlexNet 2012 without LRN and grouping. */
export function peerAlexnet(numClasses = 2, inputSize = 227, seed = 1): Sequential {
  const conv = (i: number, o: number, k: number, s: number, p: number, n: number) =>
    new Conv2d(i, o, k, { stride: s, padding: p, seed: seed + n });
  const features = new Sequential(
    conv(3, 96, 11, 4, 0, 0), new ReLU(), new MaxPool2d(3, 2),
    conv(96, 256, 5, 1, 2, 1), new ReLU(), new MaxPool2d(3, 2),
    conv(256, 384, 3, 1, 1, 2), new ReLU(),
    conv(384, 384, 3, 1, 1, 3), new ReLU(),
    conv(384, 256, 3, 1, 1, 4), new ReLU(), new MaxPool2d(3, 2),
  );
  const s = features.outputShape([1, 3, inputSize, inputSize]);
  const flat = s[1]! * s[2]! * s[3]!;
  return new Sequential(
    features, new Flatten(),
    new Linear(flat, 4096, { seed: seed + 5 }), new ReLU(),
    new Linear(4096, 4096, { seed: seed + 6 }), new ReLU(),
    new Linear(4096, numClasses, { seed: seed + 7 }),
  );
}

export interface AlexnetBenchOptions {
  batch?: number;
  inputSize?: number;
  steps?: number;
  profile?: boolean;
  log?: (s: string) => void;
}

export async function benchAlexnet(device: Device, opts: AlexnetBenchOptions = {}): Promise<BenchRow[]> {
  const batch = opts.batch ?? 8;
  const size = opts.inputSize ?? 227;
  const steps = opts.steps ?? 3;
  const log = opts.log ?? (() => {});
  const model = peerAlexnet(2, size);
  const flopsFwd = model.flops([1, 3, size, size]) * batch;
  const rows: BenchRow[] = [];
  // forward (inference): eval mode, no graph
  model.eval();
  const x = rand([batch, 3, size, size], { seed: 2 });
  const fwd = async () => {
    await tidy(async () => {
      const y = noGrad(() => model.forward(x));
      await y.data();
    });
  };
  await fwd();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await fwd();
    times.push(performance.now() - t);
  }
  const fwdMs = median(times);
  rows.push({ bench: `AlexNet forward b${batch}`, shape: `${size}x${size}`, version: 'default', ms: fwdMs,
    gflops: flopsFwd / fwdMs / 1e6, maxRelError: null, note: `${((batch * 1000) / fwdMs).toFixed(2)} images/s` });
  x.dispose();
  // training step: forward + backward + SGD, with the per-layer profile
  model.train();
  const opt = new SGD(model.parameters(), { lr: 0.01 });
  const p = await profileTrainStep(model, { batch, inputShape: [3, size, size], numClasses: 2, optimizer: opt, steps, warmup: 2 });
  // a training step is forward + data gradient (except conv1) + weight gradient ≈ 3x forward
  rows.push({ bench: `AlexNet train step b${batch}`, shape: `${size}x${size}`, version: 'default', ms: p.stepMs,
    gflops: (3 * flopsFwd) / p.stepMs / 1e6, maxRelError: null, note: `${p.imagesPerSecond.toFixed(2)} images/s` });
  if (opts.profile !== false) log(formatProfile(p));
  for (const prm of model.parameters()) prm.grad?.dispose();
  model.dispose();
  return rows;
}

/** Entry for bench/run.ts. */
export async function benchAlexnetRunner(a: { device: Device; quick: boolean; json: boolean }): Promise<BenchRow[]> {
  const batchArg = process.argv.indexOf('--batch');
  const batch = batchArg > 0 ? Number(process.argv[batchArg + 1]) : 8;
  return benchAlexnet(a.device, { batch, steps: a.quick ? 1 : 3, log: a.json ? () => {} : console.log });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const d = await initDevice();
  try {
    const rows = await benchAlexnet(d, { log: console.log });
    console.log(rows);
  } finally {
    d.destroy();
  }
}
