// SPDX-License-Identifier: MIT
// The benchmarks that run unchanged in Node and in a page, by name: `runWorkload(name, device,
// options)` gives the rows of one workload on whichever device it is handed (Node's Dawn from
// bench/run.ts and bench/browser/run.ts, `navigator.gpu` in bench/browser/page/page.ts).
// No Node imports here or below.
import type { Device } from '../src/tensor/device.js';
import { benchAlexnet } from './alexnet.js';
import type { BenchRow } from './common.js';
import { benchConv } from './conv2d.js';
import { benchMatmul } from './matmul.js';
import { benchNn } from './nn.js';
import { benchOptim } from './optim.js';

/** The workloads bench:browser runs by default, in this order. */
export const BROWSER_WORKLOADS = ['matmul', 'conv', 'optim', 'forward', 'train'] as const;
/** Every workload runWorkload knows: the default ones, and the memory-bound nn layers. */
export const WORKLOADS = [...BROWSER_WORKLOADS, 'nn'] as const;
export type Workload = (typeof WORKLOADS)[number];

export function isWorkload(name: string): name is Workload {
  return (WORKLOADS as readonly string[]).includes(name);
}

export interface WorkloadOptions {
  /** batch of the conv layers and of AlexNet's forward and training step; default 8 */
  batch?: number;
  /** conv layers to run (conv1..conv5); default all */
  layers?: string[];
  /** matmul and conv versions to run, by name or kernel file stem; default all */
  versions?: string[];
  /** timed runs per row (median reported); default each benchmark's own */
  repeats?: number;
  /** AlexNet's untimed warm-up steps; default until a step is within 10% of the one before */
  warmup?: number;
  /** fewer matmul sizes, 01_naive left out of the conv rows */
  quick?: boolean;
  /** the training step's profile also sums each kernel file's dispatches (one more step) */
  kernels?: boolean;
  /** AlexNet's per-layer profile and other notes, line by line */
  log?: (s: string) => void;
}

/** The conv benchmark's rows as BenchRows (as `npm run bench -- conv` prints them). */
export async function convRows(device: Device, opts: WorkloadOptions & { batch: number; repeats: number; skipSlow: boolean }): Promise<BenchRow[]> {
  const conv = await benchConv({ device, batch: opts.batch, repeats: opts.repeats, skipSlow: opts.skipSlow, layers: opts.layers, versions: opts.versions, log: false });
  return conv.map((r) => ({
    bench: `${r.layer} ${r.pass} b${r.batch}`, shape: r.shape, version: r.version, ms: r.ms,
    gflops: r.gflops, maxRelError: r.maxRelError,
  }));
}

/**
 * One workload's rows, each saying how it was timed: the kernel rows with timestamp queries
 * where the device has them (wall time otherwise), AlexNet's rows in wall time of whole
 * steps with the result read back (and images/s).
 */
export async function runWorkload(name: Workload, device: Device, opts: WorkloadOptions = {}): Promise<BenchRow[]> {
  const kernelTiming = device.features.timestamp ? 'timestamp' : 'wall';
  const batch = opts.batch ?? 8;
  let rows: BenchRow[];
  switch (name) {
    case 'matmul':
      rows = await benchMatmul(device, { quick: opts.quick, versions: opts.versions, runs: opts.repeats });
      break;
    case 'conv':
      rows = await convRows(device, { ...opts, batch, repeats: opts.repeats ?? (opts.quick ? 2 : 5), skipSlow: opts.quick ?? false });
      break;
    case 'optim':
      rows = await benchOptim(device, { runs: opts.repeats });
      break;
    case 'nn':
      rows = await benchNn(device);
      break;
    case 'forward':
    case 'train': {
      const r = await benchAlexnet(device, { batch, steps: opts.repeats ?? 3, warmup: opts.warmup, passes: [name], log: opts.log, kernels: opts.kernels });
      // images/s as a figure of its own; the note (images/s, ratios to peer figures recorded in
      // Node) says nothing more in a table that has the peers measured beside it
      return r.map((row) => ({ ...row, note: '', timing: 'wall', imagesPerSec: (batch * 1000) / row.ms }));
    }
  }
  return rows.map((row) => ({ ...row, timing: kernelTiming }));
}
