// SPDX-License-Identifier: MIT
// AlexNet forward and training-step throughput (images/s), in the layout the peer figures
// in BENCHMARKS.md use: the 2012 AlexNet without LRN and groups, 227x227, 2 classes,
// dropout off, softmax cross-entropy, plain SGD lr 0.01. Also prints the per-layer profile.
//   npm run bench -- train [--batch 8] [--steps 3] [--warmup N (default: until warm)] [--torch torch.json] [--quick] [--json]
// Each row's note gives the ratio to the recorded peer figures (batch 8, 227x227) and, with
// --torch (the JSON of bench/torch_alexnet.py from the same machine), to PyTorch there.
// No Node imports: it runs unchanged in a page (npm run bench:browser); the command line's
// part (arguments, the --torch file) is in bench/run.ts.
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/layers/index.js';
import { SGD } from '../src/optim/index.js';
import { noGrad, rand, tidy, type Device } from '../src/tensor/index.js';
import { formatProfile, profileTrainStep } from '../src/train/profile-step.js';
import { median, type BenchRow } from './common.js';
import { tuneTrainStep } from '../src/train/autotune-step.js';
import { setTuneCache, type TuneEntry } from '../src/tensor/autotune-table.js';

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

/**
 * Peer figures recorded on the 2-core reference machine (docs: BENCHMARKS.md, from the
 * project's research notes): AlexNet 2012 layout, 227x227, 2 classes, batch 8, images/s.
 */
export const PEERS = {
  train: { 'tfjs-webgpu on lavapipe': 0.25, 'PyTorch 1.13 CPU (2 threads)': 20.7 },
  forward: { 'tfjs-webgpu on lavapipe': 1.49, 'PyTorch 1.13 CPU (2 threads)': 65.6 },
} as const;

/** "; 9.6x tfjs-webgpu on lavapipe, 0.12x PyTorch ..." for the row's note. */
function peerNote(kind: 'train' | 'forward', ips: number, batch: number, size: number, torch?: AlexnetBenchOptions['torch']): string {
  const parts: string[] = [];
  if (batch === 8 && size === 227) {
    for (const [name, v] of Object.entries(PEERS[kind])) parts.push(`${(ips / v).toFixed(2)}x ${name}`);
  }
  for (const r of torch ?? []) {
    const isKind = kind === 'train' ? r.bench.includes('train step') : r.bench.includes('forward');
    if (isKind && r.bench.endsWith(`b${batch}`) && r.images_per_s) parts.push(`${(ips / r.images_per_s).toFixed(3)}x PyTorch ${r.mode} here (${r.images_per_s.toFixed(0)} images/s)`);
  }
  return parts.length ? `; ${parts.join(', ')}` : '';
}

export interface AlexnetBenchOptions {
  batch?: number;
  inputSize?: number;
  steps?: number;
  warmup?: number;
  profile?: boolean;
  /** the profile also times each dispatch alone and sums it per kernel file (alexnet profile --kernels) */
  kernels?: boolean;
  /** the optimizer's flat arenas (default true; --no-flat) */
  flat?: boolean;
  /** autotune the model's problems on this device first and use the table (--tune) */
  tune?: boolean;
  /** told the measured table when `tune` (the command line prints it) */
  onTuned?: (adapter: string, entries: Record<string, TuneEntry>) => void;
  /** which rows to time; default both, forward first */
  passes?: readonly ('forward' | 'train')[];
  /** rows written by bench/torch_alexnet.py --json in the same run (GPU machines) */
  torch?: Array<{ bench: string; mode: string; images_per_s?: number }>;
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
  if (opts.tune) {
    // measured kernel choices for exactly this model's problems, used by every row below
    const r = await tuneTrainStep(model, { batch, inputShape: [3, size, size], numClasses: 2, runs: 3, log });
    setTuneCache({ format: 1, adapters: { [r.adapter]: r.entries } });
    opts.onTuned?.(r.adapter, r.entries);
  }
  const passes = opts.passes ?? ['forward', 'train'];
  if (passes.includes('forward')) rows.push(await forwardRow(model, batch, size, steps, flopsFwd, opts));
  if (passes.includes('train')) {
    // training step: forward + backward + SGD, with the per-layer profile
    model.train();
    const opt = new SGD(model.parameters(), { lr: 0.01, flat: opts.flat ?? true });
    const p = await profileTrainStep(model, { batch, inputShape: [3, size, size], numClasses: 2, optimizer: opt, steps, warmup: opts.warmup, kernels: opts.kernels });
    // a training step is forward + data gradient (except conv1) + weight gradient ≈ 3x forward
    rows.push({ bench: `AlexNet train step b${batch}`, shape: `${size}x${size}`, version: 'default', ms: p.stepMs,
      gflops: (3 * flopsFwd) / p.stepMs / 1e6, maxRelError: null,
      note: `${p.imagesPerSecond.toFixed(2)} images/s${peerNote('train', p.imagesPerSecond, batch, size, opts.torch)}` });
    if (opts.profile !== false) log(formatProfile(p));
    for (const prm of model.parameters()) prm.grad?.dispose();
    opt.dispose();
  }
  model.dispose();
  return rows;
}

/** Forward (inference) images/s: eval mode, no graph, the logits read back each time. */
async function forwardRow(model: Sequential, batch: number, size: number, steps: number, flopsFwd: number, opts: AlexnetBenchOptions): Promise<BenchRow> {
  model.eval();
  const x = rand([batch, 3, size, size], { seed: 2 });
  const fwd = async () => {
    await tidy(async () => {
      const y = noGrad(() => model.forward(x));
      await y.data();
    });
  };
  // warm: --warmup N steps, or (default) at least 3 and until a step is within 10% of the one before
  let prev = Infinity;
  for (let i = 0; i < (opts.warmup ?? 30); i++) {
    const t = performance.now();
    await fwd();
    const ms = performance.now() - t;
    if (opts.warmup === undefined && i >= 2 && Math.abs(ms - prev) <= 0.1 * prev) break;
    prev = ms;
  }
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await fwd();
    times.push(performance.now() - t);
  }
  const fwdMs = median(times);
  const fwdIps = (batch * 1000) / fwdMs;
  x.dispose();
  return { bench: `AlexNet forward b${batch}`, shape: `${size}x${size}`, version: 'default', ms: fwdMs,
    gflops: flopsFwd / fwdMs / 1e6, maxRelError: null, note: `${fwdIps.toFixed(2)} images/s${peerNote('forward', fwdIps, batch, size, opts.torch)}` };
}
