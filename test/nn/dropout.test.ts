import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { checkOp } from '../helpers/op.js';
import { randomArray } from '../helpers/check.js';
import { dropoutMask } from '../../src/tensor/reference/nn.js';
import * as T from '../../src/tensor/index.js';
import { dropout } from '../../src/tensor/ops/dropout.js';

describe.skipIf(!gpu)('dropout', () => {
  it('matches the CPU mask bit for bit, scales kept values by 1/(1-p)', async () => {
    const n = 3 * 7 * 13;
    const x = Float32Array.from(randomArray(n, 5, 0.5, 2)); // no zeros: a zero output means dropped
    for (const p of [0.1, 0.5, 0.9]) {
      const y = await T.tidy(() => dropout(T.Tensor.fromArray(x, [3, 7, 13]), p, { seed: 1234 }).data());
      const mask = dropoutMask(n, p, 1234);
      const scale = Math.fround(1 / (1 - p));
      for (let i = 0; i < n; i++) expect(y[i]).toBe(mask[i] ? Math.fround(x[i]! * scale) : 0);
    }
  });

  it('drop rate is about p; same seed same mask, other seed other mask', async () => {
    const n = 1 << 16;
    const ones = T.ones([n]);
    for (const p of [0.2, 0.5]) {
      const a = await dropout(ones, p, { seed: 7 }).data();
      const b = await dropout(ones, p, { seed: 7 }).data();
      const c = await dropout(ones, p, { seed: 8 }).data();
      const rate = a.filter((v) => v === 0).length / n;
      expect(Math.abs(rate - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n)); // 4 sigma
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    }
  });

  it('without a seed: fresh masks from nextSeed(), repeatable after manualSeed', async () => {
    const ones = T.ones([4096]);
    T.manualSeed(42);
    const a = await dropout(ones, 0.5).data();
    const b = await dropout(ones, 0.5).data();
    T.manualSeed(42);
    const c = await dropout(ones, 0.5).data();
    expect(b).not.toEqual(a);
    expect(c).toEqual(a);
  });

  it('gradient: dy * mask / (1 - p), against the mask-derived reference', async () => {
    const shape = [2, 5, 9];
    const n = 90;
    for (const p of [0.3, 0.75]) {
      const mask = dropoutMask(n, p, 99);
      await checkOp({ name: `dropout p=${p}`, shapes: [shape],
        gpu: (x) => dropout(x, p, { seed: 99 }),
        ref: (x) => x.map((v, i) => (mask[i] ? v / (1 - p) : 0)) });
    }
  });

  it('identity (a view) in eval mode and for p = 0; zeros for p = 1', async () => {
    const x = T.Tensor.fromArray([1, -2, 3, 4], [2, 2]).requiresGrad_();
    const before = gpu!.stats.dispatches;
    const e = dropout(x, 0.5, { training: false });
    const z = dropout(x, 0);
    expect(gpu!.stats.dispatches).toBe(before);
    expect(e.buffer).toBe(x.buffer);
    expect(z.buffer).toBe(x.buffer);
    T.sum(e).backward();
    expect([...(await x.grad!.data())]).toEqual([1, 1, 1, 1]);
    expect([...(await dropout(x, 1).data())]).toEqual([0, 0, 0, 0]);
  });

  it('rejects p outside [0, 1] and integer tensors', () => {
    expect(() => dropout(T.ones([2]), 1.5)).toThrow('dropout: p must be in [0, 1], got 1.5');
    expect(() => dropout(T.ones([2]), -0.1)).toThrow('dropout: p must be in [0, 1]');
    expect(() => dropout(T.Tensor.fromArray(new Int32Array([1, 2])), 0.5)).toThrow('dropout: expected float32, got int32');
  });
});
