// mixup and CutMix on host arrays (src/data/mix.ts), and their loss and accuracy on the GPU
// against the float64 cross-entropy reference.
import { describe, expect, it } from 'vitest';

import { gpu } from '../helpers/gpu.js';
import {
  checkMixOptions,
  majorLabels,
  mixBatch,
  mixedTargets,
  mixEnabled,
  mulberry32,
  sampleBeta,
} from '../../src/data/index.js';
import { sampleGamma } from '../../src/data/mix.js';
import { lossAndAccuracy, pack2 } from '../../src/train/compile.js';
import { crossEntropyRef } from '../../src/tensor/reference/nn.js';
import { Tensor, tidy } from '../../src/tensor/index.js';

/** n images [C, H, W] of seeded noise (never zeros), and labels 0..classes-1. */
function batch(n: number, shape: [number, number, number], classes = 3, seed = 5) {
  const rng = mulberry32(seed);
  const size = shape[0] * shape[1] * shape[2];
  const x = Float32Array.from({ length: n * size }, () => rng() * 2 - 1 + 0.01);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + 1) % classes);
  return { x, y, size };
}

describe('sampleGamma / sampleBeta', () => {
  for (const a of [0.2, 1, 3.5]) {
    it(`Beta(${a}, ${a}) has mean 1/2 and variance 1/(4(2a+1)) (20000 samples)`, () => {
      const rng = mulberry32(11);
      const k = 20000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < k; i++) {
        const v = sampleBeta(rng, a, a);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
        s += v;
        s2 += v * v;
      }
      const mean = s / k;
      const variance = s2 / k - mean * mean;
      expect(mean).toBeCloseTo(0.5, 1);
      expect(Math.abs(variance - 1 / (4 * (2 * a + 1))) / (1 / (4 * (2 * a + 1)))).toBeLessThan(0.05);
    });
  }
  it('Gamma(k) has mean k, also below 1', () => {
    for (const k of [0.3, 2.5]) {
      const rng = mulberry32(3);
      let s = 0;
      for (let i = 0; i < 20000; i++) s += sampleGamma(rng, k);
      expect(Math.abs(s / 20000 - k) / k).toBeLessThan(0.04);
    }
    expect(() => sampleGamma(mulberry32(1), 0)).toThrow(/shape must be > 0/);
  });
});

describe('mixBatch', () => {
  const shape: [number, number, number] = [3, 7, 9];

  it('mixup: x_i = λ x_i + (1-λ) x_{i-1}, partners are the rolled labels, input untouched', () => {
    const { x, y, size } = batch(5, shape);
    const before = x.slice();
    const m = mixBatch(x, y, 5, shape, { mixupAlpha: 0.4 }, mulberry32(9));
    expect(m.kind).toBe('mixup');
    expect(m.lam).toBeGreaterThan(0);
    expect(m.lam).toBeLessThan(1);
    expect([...m.partner]).toEqual([y[4], y[0], y[1], y[2], y[3]]);
    for (let i = 0; i < 5; i++) {
      const j = (i + 4) % 5;
      for (const k of [0, 17, size - 1]) {
        expect(m.x[i * size + k]).toBeCloseTo(m.lam * x[i * size + k]! + (1 - m.lam) * x[j * size + k]!, 6);
      }
    }
    expect(x).toEqual(before);
  });

  it('CutMix: a box from the neighbour, λ the area kept, everything else unchanged', () => {
    const [C, H, W] = shape;
    const { x, y, size } = batch(4, shape);
    let seen = 0;
    for (let seed = 1; seed < 40; seed++) {
      const m = mixBatch(x, y, 4, shape, { cutmixAlpha: 1 }, mulberry32(seed));
      expect(m.kind).toBe('cutmix');
      const [top, left, bottom, right] = m.box!;
      expect(0 <= top && top <= bottom && bottom <= H && 0 <= left && left <= right && right <= W).toBe(true);
      expect(m.lam).toBeCloseTo(1 - ((bottom - top) * (right - left)) / (H * W), 12);
      if (bottom > top && right > left) seen++;
      for (let i = 0; i < 4; i++) {
        const j = (i + 3) % 4;
        for (let c = 0; c < C; c++) {
          for (let r = 0; r < H; r++) {
            for (let q = 0; q < W; q++) {
              const k = c * H * W + r * W + q;
              const inside = r >= top && r < bottom && q >= left && q < right;
              expect(m.x[i * size + k]).toBe(inside ? x[j * size + k] : x[i * size + k]);
            }
          }
        }
      }
    }
    expect(seen).toBeGreaterThan(20);
  });

  it('is seeded: the same stream mixes the same way; both on picks each kind', () => {
    const { x, y } = batch(6, shape);
    const a = mixBatch(x, y, 6, shape, { mixupAlpha: 0.2, cutmixAlpha: 1 }, mulberry32(4));
    const b = mixBatch(x, y, 6, shape, { mixupAlpha: 0.2, cutmixAlpha: 1 }, mulberry32(4));
    expect(b.kind).toBe(a.kind);
    expect(b.lam).toBe(a.lam);
    expect(b.x).toEqual(a.x);
    const kinds = new Set<string>();
    for (let s = 0; s < 30; s++) kinds.add(mixBatch(x, y, 6, shape, { mixupAlpha: 0.2, cutmixAlpha: 1 }, mulberry32(s)).kind);
    expect([...kinds].sort()).toEqual(['cutmix', 'mixup']);
  });

  it('reads only the first n samples of a longer buffer; prob 0 and a single sample leave the batch as it is', () => {
    const { x, y, size } = batch(6, shape);
    const m = mixBatch(x, y, 4, shape, { mixupAlpha: 1 }, mulberry32(2));
    expect(m.x.length).toBe(4 * size);
    const none = mixBatch(x, y, 4, shape, { mixupAlpha: 1, prob: 0 }, mulberry32(2));
    expect(none.kind).toBe('none');
    expect(none.lam).toBe(1);
    expect(none.x).toEqual(x.subarray(0, 4 * size));
    expect(mixBatch(x, y, 1, shape, { cutmixAlpha: 1 }, mulberry32(2)).kind).toBe('none');
  });

  it('names the bad option or shape', () => {
    expect(() => checkMixOptions({ mixupAlpha: -1 })).toThrow(/mixupAlpha must be a number >= 0, got -1/);
    expect(() => checkMixOptions({ cutmixAlpha: NaN })).toThrow(/cutmixAlpha/);
    expect(() => checkMixOptions({ prob: 2 })).toThrow(/prob must be in \[0, 1\]/);
    expect(() => checkMixOptions({ switchProb: -0.1 })).toThrow(/switchProb/);
    expect(() => mixBatch(new Float32Array(8), new Int32Array(2), 2, [4], { cutmixAlpha: 1 }, mulberry32(1))).toThrow(/CutMix needs \[C, H, W\] samples, got \[4\]/);
    expect(() => mixBatch(new Float32Array(7), new Int32Array(2), 2, [4], { mixupAlpha: 1 }, mulberry32(1))).toThrow(/fewer than 2 samples/);
    expect(mixEnabled(undefined)).toBe(false);
    expect(mixEnabled({ mixupAlpha: 0 })).toBe(false);
    expect(mixEnabled({ cutmixAlpha: 1, prob: 0 })).toBe(false);
    expect(mixEnabled({ cutmixAlpha: 1 })).toBe(true);
  });
});

describe('mixed targets', () => {
  it('put λ on the own label and 1-λ on the partner, summing where they agree; NaN rows for bad labels', () => {
    const t = mixedTargets([0, 2, 1], { partner: Int32Array.from([1, 2, 5]), lam: 0.7 }, 3, 3);
    expect([...t.subarray(0, 6)].map((v) => +v.toFixed(6))).toEqual([0.7, 0.3, 0, 0, 0, 1]);
    expect([...t.subarray(6)].every(Number.isNaN)).toBe(true);
    expect([...majorLabels([0, 2], { partner: Int32Array.from([1, 0]), lam: 0.4 }, 2)]).toEqual([1, 0]);
    expect([...majorLabels([0, 2], { partner: Int32Array.from([1, 0]), lam: 0.5 }, 2)]).toEqual([0, 2]);
  });
});

describe.skipIf(!gpu)('lossAndAccuracy with a mixed batch', () => {
  it('equals λ·CE(y) + (1-λ)·CE(partner) with label smoothing, accuracy on the larger-weight label', async () => {
    const N = 7;
    const C = 5;
    const rng = mulberry32(21);
    const logits = Float32Array.from({ length: N * C }, () => rng() * 6 - 3);
    const y = Int32Array.from([0, 4, 2, 2, 1, 3, 4]);
    const mix = { partner: Int32Array.from([4, 0, 4, 2, 2, 1, 3]), lam: 0.35 };
    const eps = 0.1;
    const packed = tidy(() => {
      const r = lossAndAccuracy({ loss: 'sparse_categorical_crossentropy', labelSmoothing: eps }, Tensor.fromArray(logits, [N, C]), y, mix);
      return pack2(r.loss, r.acc);
    });
    const [loss, acc] = await packed.data().finally(() => packed.dispose());
    const l64 = Float64Array.from(logits);
    const want = mix.lam * crossEntropyRef(l64, N, C, y, eps) + (1 - mix.lam) * crossEntropyRef(l64, N, C, mix.partner, eps);
    expect(Math.abs(loss! - want) / want).toBeLessThan(1e-5);
    let hits = 0;
    for (let i = 0; i < N; i++) {
      const row = [...logits.subarray(i * C, (i + 1) * C)];
      if (row.indexOf(Math.max(...row)) === mix.partner[i]) hits++;
    }
    expect(acc).toBeCloseTo(hits / N, 6);
  });

  it('binary cross-entropy takes the mixed 0/1 targets, and the plain ones without mix', async () => {
    const logits = Float32Array.from([1.5, 0.5, -0.25, -2]);
    const y = Int32Array.from([1, 0, 1, 0]);
    const mix = { partner: Int32Array.from([0, 1, 0, 1]), lam: 0.8 };
    const packed = tidy(() => {
      const r = lossAndAccuracy({ loss: 'binary_crossentropy', labelSmoothing: 0 }, Tensor.fromArray(logits, [4, 1]), y, mix);
      return pack2(r.loss, r.acc);
    });
    const [loss, acc] = await packed.data().finally(() => packed.dispose());
    expect(acc).toBe(0.5); // λ 0.8: the larger-weight labels are y; logits 1.5 and -2 agree with them, 0.5 and -0.25 do not
    let want = 0;
    for (let i = 0; i < 4; i++) {
      const q = mix.lam * y[i]! + (1 - mix.lam) * mix.partner[i]!;
      const p = 1 / (1 + Math.exp(-logits[i]!));
      want -= (q * Math.log(p) + (1 - q) * Math.log(1 - p)) / 4;
    }
    expect(loss!).toBeCloseTo(want, 5);
    // unmixed: the plain labels, one tensor for the loss and the accuracy
    const plain = tidy(() => {
      const r = lossAndAccuracy({ loss: 'binary_crossentropy', labelSmoothing: 0 }, Tensor.fromArray(logits, [4, 1]), y);
      return pack2(r.loss, r.acc);
    });
    const [plainLoss, plainAcc] = await plain.data().finally(() => plain.dispose());
    let wantPlain = 0;
    for (let i = 0; i < 4; i++) {
      const p = 1 / (1 + Math.exp(-logits[i]!));
      wantPlain -= (y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p)) / 4;
    }
    expect(plainLoss!).toBeCloseTo(wantPlain, 5);
    expect(plainAcc).toBe(0.5);
  });
});
