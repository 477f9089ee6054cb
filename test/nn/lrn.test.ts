import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { checkOp } from '../helpers/op.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { lrnRef, type Img } from '../../src/tensor/reference/nn.js';
import { toFloat32 } from '../../src/io/safetensors.js';
import { readSafetensorsFile } from '../../src/node/weights-file.js';
import * as T from '../../src/tensor/index.js';
import { localResponseNorm, LRN_TUNING, type LrnOptions } from '../../src/tensor/ops/lrn.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** TensorFlow's formula, written independently: window [c - r, c + r], sqr_sum * alpha + bias. */
function tfLrn(x: Float64Array, [N, C, H, W]: Img, r: number, bias: number, alpha: number, beta: number): Float64Array {
  const y = new Float64Array(x.length);
  const HW = H * W;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let s = 0; s < HW; s++) {
    let sq = 0;
    for (let j = c - r; j <= c + r; j++) if (j >= 0 && j < C) sq += x[(n * C + j) * HW + s]! ** 2;
    const i = (n * C + c) * HW + s;
    y[i] = x[i]! / (bias + alpha * sq) ** beta;
  }
  return y;
}

describe.skipIf(!gpu)('localResponseNorm', () => {
  // a large alpha so the normaliser (and its gradient) is far from the identity
  const cases: [Img, Required<LrnOptions>][] = [
    [[2, 7, 3, 5], { size: 5, alpha: 0.5, beta: 0.75, k: 2, alphaScale: 'sum' }],
    [[1, 3, 4, 4], { size: 5, alpha: 1.5, beta: 0.75, k: 1, alphaScale: 'average' }], // fewer channels than the window
    [[1, 13, 2, 3], { size: 3, alpha: 0.3, beta: 0.5, k: 1, alphaScale: 'sum' }],
    [[2, 6, 3, 1], { size: 4, alpha: 2, beta: 0.75, k: 2, alphaScale: 'average' }], // even size: PyTorch's window
    [[3, 5, 1, 1], { size: 1, alpha: 1, beta: 1, k: 1, alphaScale: 'sum' }],
  ];
  // every case with both gradient kernels: two passes (the default) and backward.wgsl's one
  for (const backward of ['two-pass', 'one-pass'] as const) {
    for (const [s, o] of cases) {
      it(`${backward} gradient: x=${JSON.stringify(s)} ${JSON.stringify(o)}`, async () => {
        LRN_TUNING.backward = backward;
        try {
          await checkOp({ name: `lrn ${backward}`, shapes: [s], lo: -2, hi: 2,
            gpu: (x) => localResponseNorm(x, o), ref: (x) => lrnRef(x, s, o) });
        } finally {
          LRN_TUNING.backward = 'two-pass';
        }
      });
    }
  }

  it('rank-2 input [N, C] normalises across C', async () => {
    const o = { size: 3, alpha: 1, beta: 0.75, k: 1, alphaScale: 'sum' } as const;
    await checkOp({ name: 'lrn 2d', shapes: [[4, 9]], lo: -2, hi: 2,
      gpu: (x) => localResponseNorm(x, o), ref: (x) => lrnRef(x, [4, 9, 1, 1], o) });
  });

  it('paper == PyTorch (alpha 5e-4, average) == TensorFlow (depth_radius 2, bias 2, alpha 1e-4)', async () => {
    const s: Img = [2, 96, 5, 5];
    // values like AlexNet's conv1 activations, so the alpha term is not negligible
    const x = Float64Array.from(Float32Array.from(randomArray(2 * 96 * 25, 11, 0, 40)));
    const xt = T.Tensor.fromArray(Float32Array.from(x), s);
    const paper = await localResponseNorm(xt).data(); // defaults: k 2, n 5, alpha 1e-4, beta 0.75, sum
    const torch = await localResponseNorm(xt, { size: 5, alpha: 5e-4, beta: 0.75, k: 2, alphaScale: 'average' }).data();
    const tf = tfLrn(x, s, 2, 2, 1e-4, 0.75);
    expectClose(paper, tf, { atol: 1e-6, rtol: 1e-5, name: 'paper vs TF formula' });
    expectClose(torch, paper, { atol: 1e-6, rtol: 1e-6, name: 'PyTorch vs paper' });
    // and the alpha term matters at this scale: y differs from x / k^beta
    const plain = x.map((v) => v / 2 ** 0.75);
    expect(Math.max(...paper.map((v, i) => Math.abs(v - plain[i]!)))).toBeGreaterThan(0.5);
  });

  it('rejects bad ranks, sizes and dtypes', () => {
    expect(() => localResponseNorm(T.Tensor.empty([5]))).toThrow('localResponseNorm: expected [N, C, ...] (rank >= 2), got [5]');
    expect(() => localResponseNorm(T.Tensor.empty([1, 5, 2, 2]), { size: 0 })).toThrow('localResponseNorm: size must be a positive integer, got 0');
    expect(() => localResponseNorm(T.Tensor.empty([1, 5], 'int32'))).toThrow('localResponseNorm: expected float32, got int32');
  });

  it('PyTorch fixtures: nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2)', async () => {
    const path = FIXTURES + 'lrn.safetensors';
    const { tensors, metadata } = await readSafetensorsFile(path);
    const get = (k: string) => toFloat32(tensors.get(k)!, k, path);
    const prm = JSON.parse(metadata.params!);
    for (let c = 0; c < Number(metadata.cases); c++) {
      await T.tidy(async () => {
        const x = T.Tensor.fromArray(get(`case${c}.x`), tensors.get(`case${c}.x`)!.shape).requiresGrad_();
        const y = localResponseNorm(x, { size: prm.size, alpha: prm.alpha, beta: prm.beta, k: prm.k, alphaScale: 'average' });
        T.sum(T.mul(y, T.Tensor.fromArray(get(`case${c}.g`), y.shape))).backward();
        expectClose(await y.data(), get(`case${c}.y`), { atol: 1e-6, rtol: 1e-4, name: `lrn case${c} y` });
        expectClose(await x.grad!.data(), get(`case${c}.dx`), { atol: 1e-6, rtol: 1e-4, name: `lrn case${c} dx` });
        // the same layer in the paper's convention
        const paper = localResponseNorm(x, { size: 5, alpha: prm.alpha / 5, beta: prm.beta, k: prm.k });
        expectClose(await paper.data(), get(`case${c}.y`), { atol: 1e-6, rtol: 1e-4, name: `lrn case${c} paper` });
        x.grad!.dispose();
      });
    }
  });
});

describe.skipIf(!gpu)('localResponseNorm: batches larger than one storage binding', () => {
  it('gives the same results chunk by chunk', async () => {
    const s = [5, 7, 3, 5]; // 105 values per image: chunks start at unaligned offsets
    const x = Float32Array.from(randomArray(525, 8, -2, 2));
    const run = () => T.tidy(async () => {
      const xt = T.Tensor.fromArray(x, s).requiresGrad_();
      const y = localResponseNorm(xt, { alpha: 0.5 });
      y.backward(T.Tensor.fromArray(Float32Array.from(randomArray(525, 9)), s));
      const out = [await y.data(), await xt.grad!.data()];
      xt.grad!.dispose();
      return out;
    });
    const normal = await run();
    Object.defineProperty(gpu!, 'maxBinding', { value: 1024, configurable: true }); // 1 image per chunk
    const spy = vi.spyOn(gpu!, 'dispatch');
    let chunked: Float32Array[];
    try {
      chunked = await run();
      expect(() => localResponseNorm(T.Tensor.empty([1, 3, 10, 10]))).toThrow('localResponseNorm: one sample of 300 elements exceeds one storage binding (1024 bytes)');
    } finally {
      delete (gpu as { maxBinding?: number }).maxBinding;
    }
    expect(spy.mock.calls.filter((c) => c[0].startsWith('lrn/')).length).toBe(15); // 5 chunks each: forward, the two backward passes
    spy.mockRestore();
    chunked.forEach((a, i) => expectClose(a, normal[i]!, { atol: 0, rtol: 0, name: `result ${i}` }));
  });
});
