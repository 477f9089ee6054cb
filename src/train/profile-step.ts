// SPDX-License-Identifier: MIT
// Profiling, a model's training step (the per-layer timed passes: src/tensor/profile-scopes.ts;
// the timer itself: src/tensor/timestamps.ts). profileTrainStep runs warm training steps and reports where the time goes — per layer
// forward and backward GPU time (timestamp queries), GFLOP/s, share of the step — and the
// step's totals: images/s, dispatches and submits per step, CPU time spent encoding, bytes
// read back, peak live and reserved GPU memory. Behind `alexnet profile`. No Node imports.

import type { Module } from '../layers/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { getDevice, gradSlotStats, rand, setProfiling, tidy, Tensor, keep } from '../tensor/index.js';
import { softmaxCrossEntropy } from '../tensor/ops/softmax.js';
import { median } from '../tensor/timing.js';

export interface LayerProfile {
  name: string;
  fwdMs: number;
  bwdMs: number;
  /** forward FLOPs of the layer for the whole batch (backward counted as 2x) */
  flops: number;
  gflops: number;
  share: number;
}

/** One kernel's GPU time in a training step, summed over its dispatches (profile --kernels). */
export interface KernelProfile {
  /** the kernel file under src/kernels/wgsl, or '(buffer copy)' / '(copy into an operand image)' */
  kernel: string;
  dispatches: number;
  ms: number;
  /** of the sum over all kernels (each in a pass of its own, so slightly above a plain step) */
  share: number;
}

export interface StepProfile {
  device: string;
  batch: number;
  inputShape: number[];
  /** median wall time of a warm step (upload, forward, backward, update, loss readback) */
  stepMs: number;
  imagesPerSecond: number;
  /** sum of the per-layer GPU times plus the optimizer's */
  gpuMs: number;
  optimizerMs: number;
  layers: LayerProfile[];
  dispatchesPerStep: number;
  submitsPerStep: number;
  buffersCreatedPerWarmStep: number;
  /** bind groups created per warm step (0: the device's cache serves them all) */
  bindGroupsCreatedPerStep: number;
  /** compute pipelines created per warm step (0 once every kernel variant has been seen) */
  pipelinesCreatedPerStep: number;
  /** JS time spent recording the step (before waiting for the GPU) */
  encodeMs: number;
  bytesReadPerStep: number;
  peakLiveBytes: number;
  reservedBytes: number;
  /** whether the optimizer keeps parameters, gradients and state in flat arenas */
  flatOptimizer: boolean;
  /** the optimizer's update dispatches in a warm step */
  optimizerDispatches: number;
  /** parameter gradients per step written into their arena slot by the op that made them */
  gradientsWrittenInPlace: number;
  /** parameter gradients per step copied into their slot after the op (an op without `out`) */
  gradientsCopied: number;
  /** with `kernels`: one more step with every dispatch timed alone, summed per kernel, slowest first */
  kernels?: KernelProfile[];
}

export interface ProfileOptions {
  batch: number;
  /** [channels, height, width] */
  inputShape: [number, number, number];
  numClasses: number;
  optimizer: Optimizer;
  steps?: number;
  /**
   * Steps run before measuring. Default: until the step is warm — at least 3, then until a
   * step creates no buffer and no bind group and takes within 10% of the step before it
   * (pipeline compiles, the buffer pool and the bind-group cache settling, a CPU driver's
   * wait estimates learning the step), at most 30.
   */
  warmup?: number;
  seed?: number;
  /** also time every dispatch of one more step alone and sum them per kernel file */
  kernels?: boolean;
}

/** One training step on fixed data; returns the JS encode time and the loss. */
async function step(model: Module, opt: Optimizer, x: Tensor, y: Tensor): Promise<{ encodeMs: number; loss: number }> {
  const t0 = performance.now();
  let encodeMs = 0;
  const loss = await tidy(async () => {
    const l = softmaxCrossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
    opt.zeroGrad();
    encodeMs = performance.now() - t0;
    return l.item();
  });
  return { encodeMs, loss };
}

export async function profileTrainStep(model: Module, opts: ProfileOptions): Promise<StepProfile> {
  const d = getDevice();
  const { batch, inputShape, numClasses, optimizer } = opts;
  const steps = opts.steps ?? 3;
  const x = keep(rand([batch, ...inputShape], { seed: opts.seed ?? 1 }));
  const labels = new Int32Array(batch).map((_, i) => i % numClasses);
  const y = keep(Tensor.fromArray(labels));
  model.train();
  try {
    if (opts.warmup !== undefined) {
      for (let i = 0; i < opts.warmup; i++) await step(model, optimizer, x, y);
    } else {
      let prev = Infinity;
      for (let i = 0; i < 30; i++) {
        const created = d.pool.buffersCreated + d.images.texturesCreated + d.stats.bindGroupsCreated + d.stats.pipelinesCreated;
        const t = performance.now();
        await step(model, optimizer, x, y);
        const ms = performance.now() - t;
        const settled = d.pool.buffersCreated + d.images.texturesCreated + d.stats.bindGroupsCreated + d.stats.pipelinesCreated === created && Math.abs(ms - prev) <= 0.1 * prev;
        prev = ms;
        if (i >= 2 && settled) break;
      }
    }
    await d.sync();
    // plain warm steps: wall time and counters
    const s0 = { ...d.stats };
    const g0 = { ...gradSlotStats };
    const created0 = d.pool.buffersCreated;
    d.pool.peakLiveBytes = d.pool.liveBytes;
    const walls: number[] = [];
    const encodes: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t = performance.now();
      const r = await step(model, optimizer, x, y);
      walls.push(performance.now() - t);
      encodes.push(r.encodeMs);
      if (!Number.isFinite(r.loss)) throw new Error(`profile: the loss became ${r.loss}`);
    }
    const stepMs = median(walls);
    // counters of the plain steps only (the profiled step below adds passes and a readback)
    const s1 = { ...d.stats };
    const per = (k: keyof typeof s0) => (s1[k] - s0[k]) / steps;
    const createdPerStep = (d.pool.buffersCreated - created0) / steps;
    const optimizerDispatches = optimizer.lastStepDispatches;
    const slotWrites = { direct: (gradSlotStats.direct - g0.direct) / steps, copied: (gradSlotStats.copied - g0.copied) / steps };
    const peakLiveBytes = d.pool.peakLiveBytes;
    // one more step with every layer in its own timed pass
    setProfiling(d);
    try {
      await step(model, optimizer, x, y);
    } finally {
      setProfiling(null);
    }
    const timings = await d.readTimings();
    const kernels = opts.kernels ? await profileKernels(model, optimizer, x, y) : undefined;
    const fwdShapes = layerShapes(model, [batch, ...inputShape]);
    const byName = new Map<string, LayerProfile>();
    for (const t of timings) {
      const [name, dir] = t.label.split('|') as [string, string];
      let row = byName.get(name);
      if (!row) {
        const flops = (fwdShapes.get(name) ?? 0) * batch;
        byName.set(name, (row = { name, fwdMs: 0, bwdMs: 0, flops, gflops: 0, share: 0 }));
      }
      if (dir === 'fwd') row.fwdMs += t.ms;
      else row.bwdMs += t.ms;
    }
    const layers = [...byName.values()];
    const gpuLayers = layers.reduce((s, l) => s + l.fwdMs + l.bwdMs, 0);
    for (const l of layers) {
      const ms = l.fwdMs + l.bwdMs;
      l.gflops = ms > 0 ? (l.flops * (l.bwdMs > 0 ? 3 : 1)) / ms / 1e6 : 0;
      l.share = stepMs > 0 ? ms / stepMs : 0;
    }
    return {
      device: d.describe(),
      batch,
      inputShape: [...inputShape],
      stepMs,
      imagesPerSecond: (batch * 1000) / stepMs,
      gpuMs: gpuLayers,
      optimizerMs: Math.max(0, stepMs - gpuLayers),
      layers,
      dispatchesPerStep: per('dispatches'),
      submitsPerStep: per('submits'),
      buffersCreatedPerWarmStep: createdPerStep,
      bindGroupsCreatedPerStep: per('bindGroupsCreated'),
      pipelinesCreatedPerStep: per('pipelinesCreated'),
      encodeMs: median(encodes),
      bytesReadPerStep: per('bytesRead'),
      peakLiveBytes,
      reservedBytes: d.pool.reservedBytes,
      flatOptimizer: optimizer.isFlat,
      optimizerDispatches,
      gradientsWrittenInPlace: slotWrites.direct,
      gradientsCopied: slotWrites.copied,
      ...(kernels ? { kernels } : {}),
    };
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** One step with every dispatch and copy in its own timed pass, summed per kernel file. */
async function profileKernels(model: Module, optimizer: Optimizer, x: Tensor, y: Tensor): Promise<KernelProfile[]> {
  const d = getDevice();
  d.profileKernels = true;
  try {
    await step(model, optimizer, x, y);
  } finally {
    d.profileKernels = false;
  }
  const byKernel = new Map<string, KernelProfile>();
  let total = 0;
  for (const t of await d.readTimings()) {
    const k = byKernel.get(t.label) ?? { kernel: t.label, dispatches: 0, ms: 0, share: 0 };
    k.dispatches++;
    k.ms += t.ms;
    total += t.ms;
    byKernel.set(t.label, k);
  }
  const out = [...byKernel.values()].sort((a, b) => b.ms - a.ms);
  for (const k of out) k.share = total > 0 ? k.ms / total : 0;
  return out;
}

/** Forward FLOPs per image of every leaf layer, keyed by its dotted name. */
function layerShapes(model: Module, inputShape: number[]): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (m: Module, prefix: string, shape: number[]): number[] => {
    const kids = m.sequence();
    if (!kids) {
      out.set(prefix, m.flops(shape));
      return m.outputShape(shape);
    }
    let cur = shape;
    for (const [name, child] of kids) cur = walk(child, prefix ? `${prefix}.${name}` : name, cur);
    return cur;
  };
  walk(model, '', inputShape);
  return out;
}

/** The profile as a text table. */
export function formatProfile(p: StepProfile): string {
  const lines: string[] = [];
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  lines.push(`device: ${p.device}`);
  lines.push(`batch ${p.batch}, input ${p.inputShape.join('x')}: ${p.stepMs.toFixed(1)} ms/step, ${p.imagesPerSecond.toFixed(2)} images/s`);
  lines.push('');
  lines.push('| layer | forward ms | backward ms | GFLOP/s | share of step |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const l of p.layers) {
    lines.push(`| ${l.name} | ${l.fwdMs.toFixed(2)} | ${l.bwdMs.toFixed(2)} | ${l.flops ? l.gflops.toFixed(2) : '-'} | ${(100 * l.share).toFixed(1)}% |`);
  }
  lines.push(`| (rest: optimizer, loss, CPU recording not overlapped, waiting) | | | | ${(100 * p.optimizerMs / p.stepMs).toFixed(1)}% |`);
  lines.push('');
  lines.push(`dispatches/step ${p.dispatchesPerStep.toFixed(0)}, submits/step ${p.submitsPerStep.toFixed(0)}, ` +
    `buffers created per warm step ${p.buffersCreatedPerWarmStep.toFixed(1)}, bind groups created ${p.bindGroupsCreatedPerStep.toFixed(1)}, pipelines created ${p.pipelinesCreatedPerStep.toFixed(1)}, CPU encode ${p.encodeMs.toFixed(1)} ms, ` +
    `read back ${p.bytesReadPerStep.toFixed(0)} B/step`);
  lines.push(`GPU memory: peak live ${mb(p.peakLiveBytes)}, reserved ${mb(p.reservedBytes)}`);
  lines.push(p.flatOptimizer
    ? `optimizer: flat arenas, ${p.optimizerDispatches} update dispatches/step; parameter gradients written in place ${p.gradientsWrittenInPlace.toFixed(0)}, copied in ${p.gradientsCopied.toFixed(0)} per step`
    : `optimizer: per parameter tensor, ${p.optimizerDispatches} update dispatches/step`);
  if (p.kernels) {
    const sum = p.kernels.reduce((a, k) => a + k.ms, 0);
    lines.push('');
    if (p.kernels.length === 0) {
      lines.push('Per kernel: nothing timed (this adapter has no timestamp queries).');
      return lines.join('\n');
    }
    lines.push(`Per kernel, one more step with every dispatch in a pass of its own (sum ${sum.toFixed(1)} ms):`);
    lines.push('');
    lines.push('| kernel | dispatches | ms | share |');
    lines.push('|---|---:|---:|---:|');
    for (const k of p.kernels) lines.push(`| ${k.kernel} | ${k.dispatches} | ${k.ms.toFixed(2)} | ${(100 * k.share).toFixed(1)}% |`);
  }
  return lines.join('\n');
}
