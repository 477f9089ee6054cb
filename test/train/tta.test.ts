// Mirror test-time augmentation: the exact mirror, and probabilities that are the float64 mean
// of the model's on the image and on its mirror; evaluate() runs on the wrapped model.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { Sequential } from '../../src/layers/sequential.js';
import { Linear } from '../../src/layers/linear.js';
import { Flatten } from '../../src/layers/activation.js';
import { arrayDataset, evaluate } from '../../src/train/index.js';
import { mirrorLastAxis, withMirrorTTA } from '../../src/train/tta.js';
import { Tensor } from '../../src/tensor/index.js';

const [N, C, H, W] = [3, 3, 4, 5];
const xs = Float32Array.from(randomArray(N * C * H * W, 9, -1, 1));

function mirrorCpu(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / W; r++) for (let j = 0; j < W; j++) out[r * W + j] = x[r * W + (W - 1 - j)]!;
  return out;
}

function softmax64(row: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(row));
  const e = Array.from(row, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe.skipIf(!gpu)('mirror test-time augmentation', () => {
  it('mirrors the last axis exactly', async () => {
    const m = mirrorLastAxis(Tensor.fromArray(xs, [N, C, H, W]));
    expect(m.shape).toEqual([N, C, H, W]);
    expect(await m.data()).toEqual(mirrorCpu(xs));
  });

  it('gives the mean of the probabilities of the image and its mirror', async () => {
    const model = new Sequential(new Flatten(), new Linear(C * H * W, 4, { seed: 2 }));
    model.eval();
    const plain = await model.forward(Tensor.fromArray(xs, [N, C, H, W])).data();
    const mirrored = await model.forward(Tensor.fromArray(mirrorCpu(xs), [N, C, H, W])).data();
    const tta = withMirrorTTA(model);
    const out = await tta.forward(Tensor.fromArray(xs, [N, C, H, W])).data();
    for (let i = 0; i < N; i++) {
      const a = softmax64(plain.subarray(i * 4, i * 4 + 4));
      const b = softmax64(mirrored.subarray(i * 4, i * 4 + 4));
      const want = Float64Array.from(a, (v, k) => (v + b[k]!) / 2);
      expectClose(Float64Array.from(softmax64(out.subarray(i * 4, i * 4 + 4))), want, { atol: 1e-6, rtol: 1e-5, name: `sample ${i}` });
    }
    // and evaluate() runs on it: its loss is the cross-entropy of those means
    const y = Int32Array.from([0, 1, 3]);
    const r = await evaluate(tta, arrayDataset({ x: xs, y, sampleShape: [C, H, W] }, { shuffle: false }));
    let ce = 0;
    for (let i = 0; i < N; i++) {
      const a = softmax64(plain.subarray(i * 4, i * 4 + 4));
      const b = softmax64(mirrored.subarray(i * 4, i * 4 + 4));
      ce -= Math.log((a[y[i]!]! + b[y[i]!]!) / 2) / N;
    }
    expect(r.loss).toBeCloseTo(ce, 5);
  });

  it('refuses inputs that are not images', () => {
    const model = new Sequential(new Linear(4, 2, { seed: 1 }));
    expect(() => withMirrorTTA(model).forward(Tensor.fromArray(new Float32Array(8), [2, 4]))).toThrow(/TTA.*\[2, 4\]/);
  });
});
