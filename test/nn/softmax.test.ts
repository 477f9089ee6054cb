import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { checkOp } from '../helpers/op.js';
import { expectClose, numericGrads, randomArray } from '../helpers/check.js';
import { bceWithLogitsRef, crossEntropyRef, softmaxRef } from '../../src/tensor/reference/nn.js';
import { toFloat32, toInt32 } from '../../src/io/safetensors.js';
import { readSafetensorsFile } from '../../src/node/weights-file.js';
import * as T from '../../src/tensor/index.js';
import { accuracy, logSoftmax, sigmoidBinaryCrossEntropy, softmax, softmaxCrossEntropy } from '../../src/tensor/ops/softmax.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

describe.skipIf(!gpu)('softmax and logSoftmax', () => {
  const cases: [number[], number][] = [[[4, 10], -1], [[1, 1000], 1], [[3, 7, 5], 1], [[2, 3, 13], 0], [[5], 0], [[2, 1], -1]];
  for (const [shape, axis] of cases) {
    for (const log of [false, true]) {
      it(`${log ? 'logSoftmax' : 'softmax'} x=${JSON.stringify(shape)} axis=${axis}`, async () => {
        await checkOp({ name: log ? 'logSoftmax' : 'softmax', shapes: [shape], lo: -4, hi: 4,
          gpu: (x) => (log ? logSoftmax : softmax)(x, axis), ref: (x) => softmaxRef(x, shape, axis, log) });
      });
    }
  }

  it('is stable for large logits', async () => {
    const x = T.Tensor.fromArray([1000, 0, -1000, 1e30], [2, 2]);
    expectClose(await softmax(x).data(), [1, 0, 0, 1], { atol: 0, rtol: 0 });
    expectClose(await logSoftmax(x).data(), [0, -1000, -1e30, 0], { atol: 0, rtol: 1e-6 });
  });
});

/** numerical dL/dlogits of a scalar loss function, float64 */
function numGrad(f: (x: Float64Array) => number, x: Float64Array): Float64Array {
  return numericGrads((v) => [f(v)], [Float64Array.from(x)], [1])[0]!;
}

describe.skipIf(!gpu)('softmaxCrossEntropy', () => {
  const cases: [number, number, number][] = [[1, 10, 0], [4, 5, 0], [7, 13, 0.1], [3, 100, 0.25], [2, 1, 0.1]];
  for (const [N, C, eps] of cases) {
    for (const soft of [false, true]) {
      it(`N=${N} C=${C} labelSmoothing=${eps} ${soft ? 'probabilities' : 'labels'}`, async () => {
        const x = f32(randomArray(N * C, N * 31 + C, -3, 3));
        const labels = Int32Array.from({ length: N }, (_, n) => (n * 7 + 3) % C);
        let target: Int32Array | Float64Array = labels;
        if (soft) {
          const r = randomArray(N * C, 77, 0, 1);
          target = new Float64Array(N * C);
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let c = 0; c < C; c++) s += r[n * C + c]!;
            for (let c = 0; c < C; c++) target[n * C + c] = r[n * C + c]! / s;
          }
          target = f32(target);
        }
        await T.tidy(async () => {
          const lt = T.Tensor.fromArray(Float32Array.from(x), [N, C]).requiresGrad_();
          const tt = soft ? T.Tensor.fromArray(Float32Array.from(target), [N, C]) : T.Tensor.fromArray(labels);
          const loss = softmaxCrossEntropy(lt, tt, { labelSmoothing: eps });
          expect(loss.shape).toEqual([]);
          T.mulScalar(loss, 2.5).backward(); // the incoming gradient scales dlogits
          const ref = crossEntropyRef(x, N, C, target, eps);
          expectClose([await loss.item()], [ref], { atol: 1e-6, rtol: 1e-5, name: 'loss' });
          const g = numGrad((v) => 2.5 * crossEntropyRef(v, N, C, target, eps), x);
          expectClose(await lt.grad!.data(), g, { atol: 1e-5, rtol: 1e-3, name: 'dlogits' });
          lt.grad!.dispose();
        });
      });
    }
  }

  it('no graph and no gradient buffer without requiresGrad', async () => {
    const loss = softmaxCrossEntropy(T.Tensor.fromArray([1, 2, 3, 4], [2, 2]), T.Tensor.fromArray(new Int32Array([0, 1])));
    expect(loss.requiresGrad).toBe(false);
    expectClose([await loss.item()], [crossEntropyRef(Float64Array.from([1, 2, 3, 4]), 2, 2, new Int32Array([0, 1]))]);
  });

  it('an out-of-range label gives NaN, never an out-of-bounds read', async () => {
    const x = T.Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    for (const bad of [3, -1, 1 << 30]) {
      expect(await softmaxCrossEntropy(x, T.Tensor.fromArray(new Int32Array([0, bad]))).item()).toBeNaN();
    }
  });

  it('rejects wrong ranks, label counts and dtypes before any dispatch', () => {
    const before = gpu!.stats.dispatches;
    const x = T.Tensor.empty([4, 3]);
    const lab = (n: number) => T.Tensor.fromArray(new Int32Array(n));
    expect(() => softmaxCrossEntropy(T.Tensor.empty([4, 3, 1]), lab(4))).toThrow('softmaxCrossEntropy: logits must be [N, C], got [4, 3, 1]');
    expect(() => softmaxCrossEntropy(x, lab(5))).toThrow('softmaxCrossEntropy: expected 4 labels [4] for logits [4, 3], got [5]');
    expect(() => softmaxCrossEntropy(x, T.Tensor.fromArray(new Uint32Array(4)))).toThrow('softmaxCrossEntropy: labels must be int32 (or float32 probabilities), got uint32');
    expect(() => softmaxCrossEntropy(x, T.Tensor.empty([4, 2]))).toThrow("softmaxCrossEntropy: float32 targets must have the logits' shape [4, 3], got [4, 2]");
    expect(() => softmaxCrossEntropy(x, lab(4), { labelSmoothing: 2 })).toThrow('softmaxCrossEntropy: labelSmoothing must be in [0, 1], got 2');
    expect(() => sigmoidBinaryCrossEntropy(T.Tensor.empty([4, 2]), T.Tensor.empty([4, 2]))).toThrow('sigmoidBinaryCrossEntropy: expected logits and targets of shape [N] or [N, 1] with the same N, got [4, 2] and [4, 2]');
    expect(() => accuracy(x, lab(3))).toThrow('accuracy: expected int32 labels [4] for logits [4, 3], got int32 [3]');
    // only the poison fills of Tensor.empty ran
    expect(gpu!.stats.dispatches - before).toBe(5);
  });
});

describe.skipIf(!gpu)('sigmoidBinaryCrossEntropy', () => {
  for (const shape of [[1], [13], [6, 1]]) {
    it(`x=${JSON.stringify(shape)}`, async () => {
      const n = shape[0]!;
      const x = f32(randomArray(n, n + 1, -30, 30));
      const t = f32(randomArray(n, n + 2, 0, 1));
      await T.tidy(async () => {
        const lt = T.Tensor.fromArray(Float32Array.from(x), shape).requiresGrad_();
        const loss = sigmoidBinaryCrossEntropy(lt, T.Tensor.fromArray(Float32Array.from(t), shape));
        loss.backward();
        expectClose([await loss.item()], [bceWithLogitsRef(x, t)], { atol: 1e-6, rtol: 1e-5, name: 'loss' });
        expectClose(await lt.grad!.data(), numGrad((v) => bceWithLogitsRef(v, t), x), { atol: 1e-5, rtol: 1e-3, name: 'dlogits' });
        lt.grad!.dispose();
      });
    });
  }
});

describe.skipIf(!gpu)('accuracy', () => {
  it('fraction of rows whose argmax (first on ties) matches', async () => {
    const x = T.Tensor.fromArray([0, 1, 0, 5, 5, 1, 2, 2, 2, -1, -3, -2], [4, 3]);
    // argmax: 1, 0 (tie, first), 0 (all tied), 0
    expect(await accuracy(x, T.Tensor.fromArray(new Int32Array([1, 0, 2, 0]))).item()).toBe(0.75);
    expect(await accuracy(x, T.Tensor.fromArray(new Int32Array([1, 1, 0, 7]))).item()).toBe(0.5);
    const big = T.Tensor.fromArray(Float32Array.from(randomArray(1000 * 3, 1)), [1000, 3]);
    const lab = await T.argmax(big).toArray();
    lab[0] = (lab[0]! + 1) % 3;
    expect(await accuracy(big, T.Tensor.fromArray(Int32Array.from(lab))).item()).toBeCloseTo(0.999, 6);
  });
});

describe.skipIf(!gpu)('softmax and losses: PyTorch fixtures', () => {
  it('softmax_ce.safetensors', async () => {
    const path = FIXTURES + 'softmax_ce.safetensors';
    const { tensors } = await readSafetensorsFile(path);
    const get = (k: string) => toFloat32(tensors.get(k)!, k, path);
    const tol = { atol: 1e-6, rtol: 1e-4 };
    await T.tidy(async () => {
      for (const [name, fn] of [['softmax', softmax], ['log_softmax', logSoftmax]] as const) {
        const x = T.Tensor.fromArray(get(`${name}.x`), [3, 5]).requiresGrad_();
        const y = fn(x, 1);
        T.sum(T.mul(y, T.Tensor.fromArray(get(`${name}.g`), [3, 5]))).backward();
        expectClose(await y.data(), get(`${name}.y`), { ...tol, name: `${name} y` });
        expectClose(await x.grad!.data(), get(`${name}.dx`), { ...tol, name: `${name} dx` });
        x.grad!.dispose();
      }
      const labels = T.Tensor.fromArray(toInt32(tensors.get('ce.labels')!, 'ce.labels', path));
      for (const [name, eps] of [['ce', 0], ['ce_ls', 0.1]] as const) {
        const x = T.Tensor.fromArray(get('ce.logits'), [4, 5]).requiresGrad_();
        const loss = softmaxCrossEntropy(x, labels, { labelSmoothing: eps });
        loss.backward();
        expectClose([await loss.item()], get(`${name}.loss`), { ...tol, name: `${name} loss` });
        expectClose(await x.grad!.data(), get(`${name}.dlogits`), { ...tol, name: `${name} dlogits` });
        x.grad!.dispose();
      }
      const bx = T.Tensor.fromArray(get('bce.logits'), [6]).requiresGrad_();
      const bl = sigmoidBinaryCrossEntropy(bx, T.Tensor.fromArray(get('bce.targets'), [6]));
      bl.backward();
      expectClose([await bl.item()], get('bce.loss'), { ...tol, name: 'bce loss' });
      expectClose(await bx.grad!.data(), get('bce.dlogits'), { ...tol, name: 'bce dlogits' });
      bx.grad!.dispose();
    });
  });
});
