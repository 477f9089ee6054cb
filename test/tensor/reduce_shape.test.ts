import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { checkOp } from '../helpers/op.js';
import { randomArray } from '../helpers/check.js';
import * as T from '../../src/tensor/index.js';

/** float64 reduction of x (shape) over `axes`, keepdim layout flattened. */
function reduceRef(shape: number[], axes: number[], f: 'sum' | 'mean' | 'max' | 'min') {
  return (x: Float64Array) => {
    const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = outShape.reduce((a, b) => a * b, 1);
    const init = f === 'max' ? -Infinity : f === 'min' ? Infinity : 0;
    const out = new Float64Array(n).fill(init);
    const strides = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
    const st = strides(shape);
    const ost = strides(outShape);
    for (let i = 0; i < x.length; i++) {
      let o = 0;
      for (let d = 0; d < shape.length; d++) {
        const c = Math.floor(i / st[d]!) % shape[d]!;
        if (!axes.includes(d)) o += c * ost[d]!;
      }
      const v = x[i]!;
      out[o] = f === 'max' ? Math.max(out[o]!, v) : f === 'min' ? Math.min(out[o]!, v) : out[o]! + v;
    }
    if (f === 'mean') {
      const cnt = axes.reduce((a, ax) => a * shape[ax]!, 1);
      for (let i = 0; i < n; i++) out[i]! /= cnt;
    }
    return out;
  };
}

describe.skipIf(!gpu)('reductions, permute and transpose', () => {
  const cases: [number[], number[]][] = [
    [[17], [0]], [[3, 65], [1]], [[3, 65], [0]], [[2, 5, 7], [0, 2]], [[4, 3, 129], [1, 2]], [[2, 3, 4, 5], [0, 2, 3]],
  ];
  for (const f of ['sum', 'mean', 'max', 'min'] as const) {
    for (const [shape, axes] of cases) {
      it(`${f} x=${JSON.stringify(shape)} axes=${JSON.stringify(axes)}`, async () => {
        await checkOp({
          name: f, shapes: [shape],
          gpu: (x) => T[f](x, axes, true),
          ref: reduceRef(shape, axes, f),
          atol: 1e-4,
        });
      });
    }
  }

  it('sum of everything, keepdim false gives a scalar', async () => {
    const s = T.sum(T.Tensor.fromArray([1, 2, 3, 4], [2, 2]));
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(10);
  });

  it('argmax over each axis, first index on ties', async () => {
    const x = T.Tensor.fromArray([1, 5, 5, 0, 2, 9, 3, 3], [2, 4]);
    expect(Array.from(await T.argmax(x, 1).toArray())).toEqual([1, 1]);
    expect(Array.from(await T.argmax(x, 0).toArray())).toEqual([1, 1, 0, 1]);
    const t = T.Tensor.fromArray([2, 7, 7, 1], [4]);
    expect(await T.argmax(t).item()).toBe(1);
  });

  it('permute and transpose against index math, with gradients', async () => {
    const shape = [2, 3, 5, 4];
    const perm = [2, 0, 3, 1];
    await checkOp({
      name: 'permute', shapes: [shape], gpu: (x) => T.permute(x, perm),
      ref: (x) => {
        const out = new Float64Array(x.length);
        const os = perm.map((p) => shape[p]!);
        let i = 0;
        for (let a = 0; a < os[0]!; a++) for (let b = 0; b < os[1]!; b++) for (let c = 0; c < os[2]!; c++) for (let d = 0; d < os[3]!; d++) {
          const idx = [0, 0, 0, 0];
          idx[perm[0]!] = a; idx[perm[1]!] = b; idx[perm[2]!] = c; idx[perm[3]!] = d;
          out[i++] = x[((idx[0]! * 3 + idx[1]!) * 5 + idx[2]!) * 4 + idx[3]!]!;
        }
        return out;
      },
    });
    await checkOp({
      name: 'transpose', shapes: [[3, 7]], gpu: (x) => T.transpose(x),
      ref: (x) => Float64Array.from({ length: 21 }, (_, i) => x[(i % 3) * 7 + Math.floor(i / 3)]!),
    });
  });

  it('spaceToDepth against index math, with gradients (padding, cropped rows, a partial last block)', async () => {
    // [N, C, H, W], block, padding, outSize: 7x9 with block 3 leaves a partial block; the
    // second case pads (2, 1) and crops to 2x3 blocks, so some inputs land nowhere (gradient 0)
    const cases: Array<[number[], number, [number, number], [number, number] | undefined]> = [
      [[2, 3, 7, 9], 3, [0, 0], undefined],
      [[1, 2, 11, 10], 4, [2, 1], [2, 3]],
    ];
    for (const [shape, s, [ph, pw], outSize] of cases) {
      const [n, c, h, w] = shape as [number, number, number, number];
      const [oh, ow] = outSize ?? [Math.ceil((h + ph) / s), Math.ceil((w + pw) / s)];
      await checkOp({
        name: `spaceToDepth ${shape} s=${s}`, shapes: [shape],
        gpu: (x) => T.spaceToDepth(x, s, { padding: [ph, pw], outSize }),
        ref: (x) => {
          const out = new Float64Array(n * c * s * s * oh * ow);
          let i = 0;
          for (let b = 0; b < n; b++) for (let ci = 0; ci < c; ci++) for (let dy = 0; dy < s; dy++) for (let dx = 0; dx < s; dx++)
            for (let u = 0; u < oh; u++) for (let v = 0; v < ow; v++) {
              const ih = u * s + dy - ph;
              const iw = v * s + dx - pw;
              out[i++] = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[((b * c + ci) * h + ih) * w + iw]! : 0;
            }
          return out;
        },
      });
    }
    expect(() => T.spaceToDepth(T.zeros([2, 3]), 2)).toThrow(/spaceToDepth: the input must be NCHW \(rank 4\), got \[2, 3\]/);
    expect(() => T.spaceToDepth(T.zeros([1, 1, 4, 4]), 0)).toThrow(/spaceToDepth: block must be a positive integer, got 0/);
  });

  it('reshape shares data and keeps the graph', async () => {
    await checkOp({ name: 'reshape', shapes: [[6, 4]], gpu: (x) => T.mul(x.reshape([3, -1]), x.reshape([3, 8])), ref: (x) => x.map((v) => v * v) });
  });

  it('errors: bad axis names the op', () => {
    const x = T.zeros([2, 3]);
    expect(() => T.sum(x, 2)).toThrow('sum: axis 2 out of range for rank 2');
    expect(() => T.permute(x, [0, 0])).toThrow(/permute: \[0,0\] is not a permutation/);
  });

  it('mean of a large random vector', async () => {
    const n = 100003;
    const data = randomArray(n, 3, 0, 2);
    const m = await T.mean(T.Tensor.fromArray(Float32Array.from(data))).item();
    const ref = data.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(m - ref)).toBeLessThan(1e-4);
  });
});
