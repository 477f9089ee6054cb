// The lean training step: a warm AlexNet step creates no GPU buffers, submits a small fixed
// number of command buffers, reads back only the loss, and leaves live GPU bytes where they
// were, step after step.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { alexnet } from '../../src/models/alexnet.js';
import { SGD } from '../../src/optim/index.js';
import { softmaxCrossEntropy } from '../../src/tensor/ops/softmax.js';
import { keep, rand, Tensor, tidy } from '../../src/tensor/index.js';
import { formatProfile, profileTrainStep } from '../../src/train/profile-step.js';

describe.skipIf(!gpu)('training step: buffers, submits and memory', () => {
  it('50 warm steps of a small paper AlexNet: no new buffers, <= 3 submits, constant live bytes', async () => {
    const d = gpu!;
    const model = alexnet({ preset: 'paper', numClasses: 3, inputSize: 67, width: 0.125, seed: 1 });
    model.train();
    const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = keep(rand([4, 3, 67, 67], { seed: 2 }));
    const y = keep(Tensor.fromArray(new Int32Array([0, 1, 2, 0])));
    const step = () =>
      tidy(async () => {
        const loss = softmaxCrossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        opt.zeroGrad();
        return loss.item();
      });
    // warm-up: the first steps create the momentum buffers and fill the pool
    for (let i = 0; i < 3; i++) await step();
    const live = d.pool.liveBytes;
    const created = d.pool.buffersCreated;
    const s0 = { ...d.stats };
    let last = NaN;
    const per: number[] = [];
    for (let i = 0; i < 50; i++) {
      const b0 = d.stats.bindGroupsCreated;
      last = await step();
      per.push(d.stats.bindGroupsCreated - b0);
      expect(d.pool.liveBytes).toBe(live);
    }
    expect(Number.isFinite(last)).toBe(true);
    expect(d.pool.buffersCreated).toBe(created);
    // the bind-group cache: the pool hands out buffers in an order that settles within a few
    // steps (measured: 36, 9, 8, 1, ... then 0 from the 10th step on); after that every
    // dispatch finds its bind group
    expect(per.slice(20).reduce((a, b) => a + b, 0)).toBe(0);
    const submits = (d.stats.submits - s0.submits) / 50;
    expect(submits).toBeLessThanOrEqual(3);
    expect((d.stats.bytesRead - s0.bytesRead) / 50).toBe(4); // the loss, nothing else
    x.dispose();
    y.dispose();
    model.dispose();
    opt.zeroGrad();
  });

  it('profileTrainStep reports every layer and the step totals', async () => {
    const model = alexnet({ preset: 'paper', numClasses: 2, inputSize: 67, width: 0.125, seed: 3 });
    const opt = new SGD(model.parameters(), { lr: 0.01 });
    const p = await profileTrainStep(model, { batch: 2, inputShape: [3, 67, 67], numClasses: 2, optimizer: opt, steps: 2, warmup: 2 });
    const names = p.layers.map((l) => l.name);
    expect(names).toContain('features.0');
    expect(names).toContain('classifier.6');
    expect(p.imagesPerSecond).toBeGreaterThan(0);
    expect(p.buffersCreatedPerWarmStep).toBe(0);
    expect(p.submitsPerStep).toBeLessThanOrEqual(3);
    expect(p.pipelinesCreatedPerStep).toBe(0);
    // the flat optimizer: all 16 parameter gradients written into the arena by their ops,
    // one vec4 dispatch and one for the scalar rest over all parameters
    expect(p.flatOptimizer).toBe(true);
    expect(p.gradientsWrittenInPlace).toBe(16);
    expect(p.gradientsCopied).toBe(0);
    expect(p.optimizerDispatches).toBeLessThanOrEqual(2);
    if (gpu!.features.timestamp) {
      const conv1 = p.layers.find((l) => l.name === 'features.0')!;
      expect(conv1.fwdMs).toBeGreaterThan(0);
      expect(conv1.bwdMs).toBeGreaterThan(0);
      expect(conv1.gflops).toBeGreaterThan(0);
    }
    model.dispose();
  });

  it('profileTrainStep warms until nothing is created any more when no warmup is given', async () => {
    const model = alexnet({ preset: 'paper', numClasses: 2, inputSize: 67, width: 0.125, seed: 4 });
    const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const p = await profileTrainStep(model, { batch: 2, inputShape: [3, 67, 67], numClasses: 2, optimizer: opt, steps: 2 });
    expect(p.buffersCreatedPerWarmStep).toBe(0);
    expect(p.bindGroupsCreatedPerStep).toBe(0);
    expect(p.pipelinesCreatedPerStep).toBe(0);
    opt.dispose();
    model.dispose();
  });

  it('without arenas (flat: false) the optimizer runs per parameter tensor, and the profile says so', async () => {
    const model = alexnet({ preset: 'paper', numClasses: 2, inputSize: 67, width: 0.125, seed: 5 });
    const opt = new SGD(model.parameters(), { lr: 0.01, flat: false });
    const p = await profileTrainStep(model, { batch: 2, inputShape: [3, 67, 67], numClasses: 2, optimizer: opt, steps: 1, warmup: 1 });
    expect(p.flatOptimizer).toBe(false);
    expect(p.optimizerDispatches).toBeGreaterThanOrEqual(16);
    expect(formatProfile(p)).toMatch(/optimizer: per parameter tensor, \d+ update dispatches/);
    // --kernels on an adapter without timestamp queries says so instead of an empty table
    expect(formatProfile({ ...p, kernels: [] })).toMatch(/Per kernel: nothing timed \(this adapter has no timestamp queries\)\.$/);
    opt.dispose();
    model.dispose();
  });
});
