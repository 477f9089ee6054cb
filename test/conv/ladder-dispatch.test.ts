// Each (version, pass) of the conv ladder dispatches exactly the kernel files conv2dVersions()
// lists for it, so the listing (docs/conv2d.md quotes it, the kernel lab shows it) says what
// runs. Rung 02 in particular runs one fixed GEMM, matmul/02_register_blocked, even on a shape
// for which the matmul selector would take the workgroup-memory kernel.
import { afterEach, describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { Tensor, tidy } from '../../src/tensor/index.js';
import { conv2d, conv2dBackwardData, conv2dBackwardWeight, conv2dVersions, convShape } from '../../src/tensor/ops/conv2d/index.js';
import { IM2COL_GEMM } from '../../src/tensor/ops/conv2d/02_im2col.js';
import { selectMatmul } from '../../src/tensor/ops/matmul/index.js';
import { randomArray } from '../helpers/check.js';

/** The conv2d, matmul and shape kernels dispatched while `fn` runs (fills, copies and sums left out). */
async function dispatched(fn: () => unknown): Promise<string[]> {
  const d = gpu!;
  const seen: string[] = [];
  const original = d.dispatch;
  d.dispatch = ((kernel: string, ...rest: unknown[]) => {
    if (/^(conv2d|matmul|shape)\//.test(kernel) && !seen.includes(kernel)) seen.push(kernel);
    return (original as (...a: unknown[]) => unknown).call(d, kernel, ...rest);
  }) as typeof original;
  try {
    await tidy(async () => {
      const out = fn() as Tensor;
      await out.data();
    });
  } finally {
    d.dispatch = original;
  }
  return seen;
}

afterEach(() => {
  expect(gpu!.dispatch).toBe(Object.getPrototypeOf(gpu!).dispatch);
});

describe.skipIf(!gpu)('the conv ladder dispatches what conv2dVersions lists', () => {
  // 128 output channels over 12x12 pixels and 72 taps: the matmul selector would take 06 for 02's GEMM
  const plain = { x: [4, 8, 12, 12], w: [128, 8, 3, 3], opts: { padding: 1 } }; // 4 images: enough pixels for split-K slices
  const strided = { x: [1, 3, 19, 19], w: [16, 3, 5, 5], opts: { stride: 2, padding: 1 } };

  it(`rung 02's GEMM is ${IM2COL_GEMM} where the selector would pick another`, () => {
    const s = convShape(plain.x, plain.w, plain.opts);
    const g = { m: s.k, n: s.oh * s.ow, k: s.c * s.kh * s.kw, batch: 1 };
    expect(selectMatmul(g, gpu!).version).not.toBe(IM2COL_GEMM);
  });

  for (const v of conv2dVersions()) {
    it(`${v.pass} ${v.name}`, async () => {
      const c = v.name.endsWith('_s2d') ? strided : plain;
      const s = convShape(c.x, c.w, c.opts);
      const data = (shape: number[], seed: number) => Tensor.fromArray(Float32Array.from(randomArray(shape.reduce((a, b) => a * b, 1), seed)), shape);
      const seen = await dispatched(() => {
        const x = data(c.x, 1);
        const w = data(c.w, 2);
        const dy = data([s.n, s.k, s.oh, s.ow], 3);
        if (v.pass === 'forward') return conv2d(x, w, data([s.k], 4), { ...c.opts, relu: true, version: v.name });
        if (v.pass === 'dgrad') return conv2dBackwardData(dy, w, c.x, { ...c.opts, version: v.name });
        return conv2dBackwardWeight(x, dy, c.w, { ...c.opts, version: v.name });
      });
      // rung 06 lists 09 as its GEMM: 08 on an adapter whose subgroups are not 8 wide (its note)
      const listed = v.wgsl.map((f) => (f === 'matmul/09_subgroup_broadcast.wgsl' && gpu!.features.subgroupSize !== 8 ? 'matmul/08_image_operands.wgsl' : f));
      expect([...seen].sort()).toEqual([...new Set(listed)].sort());
    });
  }
});
