// Layers: names and parameters, initialisers' statistics, Linear/Conv2d against float64
// references, fused Conv2d/Linear → ReLU gives the same values and gradients as unfused,
// train/eval, state dicts (every mismatch reported, nothing half-loaded), summary.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose, randomArray } from '../helpers/check.js';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dense, Dropout, Flatten, Linear, LocalResponseNorm, MaxPool2d,
  Module, ReLU, Sequential, Softmax, initWeight, summary,
} from '../../src/layers/index.js';
import { keep, sum, mul, Tensor, tidy } from '../../src/tensor/index.js';

const f32 = (n: number, seed: number, lo = -1, hi = 1) => Float32Array.from(randomArray(n, seed, lo, hi));

function stats(v: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    sq += x * x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(sq / v.length - mean * mean), min, max };
}

describe.skipIf(!gpu)('layers', () => {
  it('Sequential names children 0, 1, ... and parameters like PyTorch', () => {
    const m = new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Dense(4 * 4 * 4, 5));
    expect(m.namedParameters().map(([n, t]) => [n, [...t.shape]])).toEqual([
      ['0.weight', [4, 3, 3, 3]], ['0.bias', [4]], ['4.weight', [5, 64]], ['4.bias', [5]],
    ]);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(m.outputShape([2, 3, 8, 8])).toEqual([2, 5]);
    expect(m.at(-1)).toBeInstanceOf(Linear);
    m.eval();
    expect(m.namedModules().every(([, c]) => !c.training)).toBe(true);
    m.train();
    expect(m.at(0).training).toBe(true);
    m.dispose();
  });

  it('initialisers have the documented statistics and are seeded', async () => {
    const shape = [256, 64, 3, 3]; // fan_in 576, fan_out 2304
    const check = async (rule: Parameters<typeof initWeight>[1], std: number, bound?: number) => {
      const t = initWeight(shape, rule, 42);
      const s = stats(await t.data());
      expect(Math.abs(s.mean)).toBeLessThan(std * 0.02);
      expect(s.std / std).toBeGreaterThan(0.98);
      expect(s.std / std).toBeLessThan(1.02);
      if (bound !== undefined) {
        expect(s.max).toBeLessThanOrEqual(bound);
        expect(s.min).toBeGreaterThanOrEqual(-bound);
      }
      t.dispose();
    };
    await check('pytorch', 1 / Math.sqrt(576) / Math.sqrt(3), 1 / Math.sqrt(576));
    await check('he-normal', Math.sqrt(2 / 576));
    await check('kaiming-uniform', Math.sqrt(2 / 576), Math.sqrt(6 / 576));
    await check('glorot-uniform', Math.sqrt(2 / (576 + 2304)), Math.sqrt(6 / (576 + 2304)));
    await check('xavier-normal', Math.sqrt(2 / (576 + 2304)));
    await check({ normal: 0.01 }, 0.01);
    const a = initWeight([10, 10], 'he-normal', 5);
    const b = initWeight([10, 10], 'he-normal', 5);
    expectClose(await a.data(), await b.data(), { atol: 0, rtol: 0, name: 'same seed' });
    a.dispose();
    b.dispose();
    const c = new Conv2d(4, 6, 3, { biasInit: 1, seed: 3 });
    expect(Array.from(await c.bias!.data())).toEqual([1, 1, 1, 1, 1, 1]);
    c.dispose();
  });

  it('Linear matches a float64 reference, on 2-D and 3-D input', async () => {
    const lin = new Linear(7, 5, { seed: 1 });
    const w = await lin.weight.data();
    const b = await lin.bias!.data();
    const xs = f32(3 * 2 * 7, 9);
    const y = await tidy(() => lin.forward(Tensor.fromArray(xs, [3, 2, 7])).data());
    const ref = new Float64Array(3 * 2 * 5);
    for (let r = 0; r < 6; r++) for (let o = 0; o < 5; o++) {
      let s = b[o]!;
      for (let i = 0; i < 7; i++) s += xs[r * 7 + i]! * w[o * 7 + i]!;
      ref[r * 5 + o] = s;
    }
    expectClose(y, ref, { atol: 1e-5, rtol: 1e-5, name: 'linear' });
    expect(lin.outputShape([3, 2, 7])).toEqual([3, 2, 5]);
    expect(lin.flops([1, 7])).toBe(2 * 7 * 5 + 5);
    lin.dispose();
  });

  for (const kind of ['conv', 'linear', 'batchnorm'] as const) {
    it(`${kind} → ReLU fused in Sequential: same values and gradients as unfused`, async () => {
      const layer = kind === 'conv' ? new Conv2d(3, 4, 3, { padding: 1, seed: 2 })
        : kind === 'linear' ? new Linear(12, 6, { seed: 2 }) : new BatchNorm2d(3);
      const model = new Sequential(layer, new ReLU());
      const shape = kind === 'linear' ? [4, 12] : [2, 3, 5, 5];
      const n = shape.reduce((a, b) => a * b, 1);
      const x = keep(Tensor.fromArray(f32(n, 4), shape)).requiresGrad_();
      const run = async (fuse: boolean) => tidy(async () => {
        model.fuseRelu = fuse;
        const y = model.forward(x);
        const g = Tensor.fromArray(f32(y.size, 8), y.shape);
        sum(mul(y, g)).backward();
        const out = {
          y: await y.data(),
          dx: await x.grad!.data(),
          dw: await layer.weight.grad!.data(),
          db: await (layer as Linear).bias!.grad!.data(),
        };
        for (const t of [x, ...model.parameters()]) {
          t.grad!.dispose();
          t.grad = null;
        }
        return out;
      });
      const fused = await run(true);
      const plain = await run(false);
      for (const k of ['y', 'dx', 'dw', 'db'] as const) expectClose(fused[k], plain[k], { atol: 1e-5, rtol: 1e-5, name: `${kind} ${k}` });
      expect(fused.y.some((v) => v === 0)).toBe(true);
      x.dispose();
      model.dispose();
    });
  }

  it('Dropout is the identity in eval mode and drops in training mode', async () => {
    const d = new Dropout(0.5, { seed: 1 });
    const x = Tensor.fromArray(new Float32Array(1000).fill(1), [1000]);
    const yt = await tidy(() => d.forward(x).data());
    const zeros = yt.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(400);
    expect(zeros).toBeLessThan(600);
    expect(yt.filter((v) => v !== 0).every((v) => v === 2)).toBe(true);
    d.eval();
    expect(Array.from(await tidy(() => d.forward(x).data())).every((v) => v === 1)).toBe(true);
    x.dispose();
  });

  it('BatchNorm2d keeps running stats as buffers and updates them in training', async () => {
    const bn = new BatchNorm2d(3);
    expect([...bn.stateDict().keys()]).toEqual(['weight', 'bias', 'running_mean', 'running_var']);
    expect(bn.parameters().length).toBe(2);
    const x = Tensor.fromArray(f32(2 * 3 * 4 * 4, 3, 0, 2), [2, 3, 4, 4]);
    tidy(() => bn.forward(x));
    const rm = await bn.runningMean.data();
    expect(rm.every((v) => v > 0.05 && v < 0.15)).toBe(true); // 0.1 · mean(≈1)
    bn.eval();
    const y = await tidy(() => bn.forward(x).data());
    expect(y.length).toBe(96);
    x.dispose();
    bn.dispose();
  });

  it('shape inference of the other layers', () => {
    expect(new MaxPool2d(3, 2).outputShape([1, 4, 13, 13])).toEqual([1, 4, 6, 6]);
    expect(new MaxPool2d(2, 2, 1).outputShape([1, 2, 7, 8])).toEqual([1, 2, 4, 5]);
    expect(new AdaptiveAvgPool2d([6, 6]).outputShape([2, 3, 2, 2])).toEqual([2, 3, 6, 6]);
    expect(new LocalResponseNorm(5).outputShape([1, 8, 5, 5])).toEqual([1, 8, 5, 5]);
    expect(new Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 }).outputShape([1, 4, 9, 9])).toEqual([1, 6, 5, 5]);
    expect(new Conv2d(4, 6, 5, { padding: 'same' }).padding).toEqual([2, 2]);
    expect(() => new Conv2d(4, 6, 4, { padding: 'same' })).toThrow(/same/);
    expect(() => new Linear(3, 2).outputShape([1, 4])).toThrow(/does not end in 3/);
    expect(new Softmax().outputShape([2, 7])).toEqual([2, 7]);
  });

  it('loadStateDict checks every name, shape and dtype, reports all, loads nothing on error', async () => {
    const make = () => new Sequential(new Linear(4, 3, { seed: 1 }), new ReLU(), new Linear(3, 2, { seed: 2 }));
    const m = make();
    const before = await m.at(0).parameters()[0]!.data();
    const bad = new Map<string, { shape: number[]; data: Float32Array; dtype?: string }>([
      ['0.weight', { shape: [3, 4], data: new Float32Array(12).fill(7) }],
      ['0.bias', { shape: [4], data: new Float32Array(4) }],
      ['2.weight', { shape: [2, 3], data: new Float32Array(6), dtype: 'I64' }],
      ['3.weight', { shape: [1], data: new Float32Array(1) }],
    ]);
    let msg = '';
    try {
      m.loadStateDict(bad);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/0\.bias: shape \[4\] in the checkpoint, \[3\] in the model/);
    expect(msg).toMatch(/2\.weight: dtype I64/);
    expect(msg).toMatch(/missing: 2\.bias/);
    expect(msg).toMatch(/unexpected: 3\.weight/);
    expectClose(await m.at(0).parameters()[0]!.data(), before, { atol: 0, rtol: 0, name: 'untouched' });
    // non-strict: missing/unexpected are returned, the rest loads
    const r = m.loadStateDict(new Map([['0.weight', bad.get('0.weight')!], ['x', bad.get('3.weight')!]]), { strict: false });
    expect(r.unexpected).toEqual(['x']);
    expect(r.missing).toEqual(['0.bias', '2.weight', '2.bias']);
    expect(Array.from(await m.at(0).parameters()[0]!.data()).every((v) => v === 7)).toBe(true);
    // GPU tensors load too, in place (the parameter tensors stay the same objects)
    const m2 = make();
    const w = m2.parameters()[0]!;
    m2.loadStateDict(m.stateDict());
    expect(m2.parameters()[0]).toBe(w);
    expect(Array.from(await w.data()).every((v) => v === 7)).toBe(true);
    m.dispose();
    m2.dispose();
  });

  it('summary: a Keras-like table with totals', () => {
    const m = new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 4 * 4, 10));
    const s = summary(m, [1, 3, 8, 8]);
    expect(s.rows.map((r) => r.name)).toEqual(['0', '1', '2', '3', '4']);
    expect(s.rows[0]!.params).toBe(8 * 27 + 8);
    expect(s.rows[0]!.flops).toBe(2 * 8 * 64 * 27 + 8 * 64);
    expect(s.totalParams).toBe(8 * 27 + 8 + 128 * 10 + 10);
    expect(s.text).toMatch(/Total params: 1,514/);
    expect(s.outputShape).toEqual([1, 10]);
    m.dispose();
  });

  it('a custom Module composes like micrograd', async () => {
    class TwoLayer extends Module {
      fc1 = this.registerModule('fc1', new Linear(4, 8, { seed: 1 }));
      fc2 = this.registerModule('fc2', new Linear(8, 2, { seed: 2 }));
      forward(x: Tensor): Tensor {
        return this.fc2.forward(this.fc1.forwardRelu(x));
      }
    }
    const m = new TwoLayer();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const y = await tidy(() => m.forward(Tensor.fromArray(f32(12, 1), [3, 4])).data());
    expect(y.length).toBe(6);
    m.dispose();
  });
});
