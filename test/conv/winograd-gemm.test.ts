// Rung 06 (Winograd with its products as one batched GEMM, 06_winograd_gemm and its
// space-to-depth form) against the float64 reference: forward + bias + ReLU, data and weight
// gradients, with every matmul version that can run its GEMMs (08 and 09 read operands as
// images), on shapes whose tiles overhang the output and whose tile columns are not a
// multiple of 4; batch chunks under an artificial binding limit; and refusals by name.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose, product, randomArray } from '../helpers/check.js';
import { Tensor, tidy } from '../../src/tensor/index.js';
import { conv2d, conv2dBackwardData, conv2dBackwardWeight, convShape, type Conv2dOptions } from '../../src/tensor/ops/conv2d/index.js';
import { winogradGemmUnsupported } from '../../src/tensor/ops/conv2d/06_winograd_gemm.js';
import { forceMatmulForTesting } from '../../src/tensor/ops/matmul/select.js';
import { conv2dRef, conv2dDataGradRef, conv2dWeightGradRef } from '../../src/tensor/reference/conv2d.js';

interface Case { name: string; x: number[]; w: number[]; opts: Conv2dOptions }
const CASES: Case[] = [
  // 13x13 outputs: 4x4 tiles overhang by 3; 2 images x 16 tiles = 32 tile columns
  { name: 'conv3 reduced: 3x3 p1 on 13x13, 16 -> 24 channels', x: [2, 16, 13, 13], w: [24, 16, 3, 3], opts: { padding: 1 } },
  // F(2x2, 5x5): 8 x 7 tiles = 56 columns, no rounding; 15x14 outputs overhang by 1 and 0
  { name: 'conv2 reduced: 5x5 p2 on 15x14', x: [1, 8, 15, 14], w: [12, 8, 5, 5], opts: { padding: 2 } },
  // groups: one GEMM per (transform point, group); 3 images x 30 tiles = 90 columns, rounded to 92
  { name: '5x5 p2 groups 2 on 9x10', x: [3, 8, 9, 10], w: [16, 4, 5, 5], opts: { padding: 2, groups: 2 } },
  { name: '2x3 filter, groups 2, padding (1, 0)', x: [2, 8, 10, 11], w: [8, 4, 2, 3], opts: { padding: [1, 0], groups: 2 } },
  // 16 filters of 4 channels per group: the weight gradient computes its sums transposed
  // (4 x 16 blocks, then shape/permute.wgsl), per group
  { name: '3x3 p1 groups 2, 16 filters per group', x: [2, 8, 9, 9], w: [32, 4, 3, 3], opts: { padding: 1, groups: 2 } },
  // 6x6 outputs (the recipe's conv3-5 at 128 px): F(3x3, 3x3), two tiles a side, no overhang
  { name: '3x3 p1 on 6x6: F(3x3, 3x3) tiles', x: [4, 16, 6, 6], w: [20, 16, 3, 3], opts: { padding: 1 } },
  // 40 output channels: the GEMM's M crosses 09's 16-row blocks; 7x5 outputs (F(4x3, 3x3))
  { name: '3x3 without padding, 40 output channels', x: [3, 4, 9, 7], w: [40, 4, 3, 3], opts: {} },
];

const f32 = (n: number, seed: number) => Float32Array.from(randomArray(n, seed));
const GEMMS = ['08_image_operands', '09_subgroup_broadcast'] as const;

/**
 * Runs a version's passes (06_winograd_gemm: all three; the s2d form: forward and weight
 * gradient) on 5 images of case c while one binding holds `limit` bytes (plus an alignment
 * unit), checks each against float64, and returns how many dispatches they took.
 */
async function checkChunked(c: Case, version: '06_winograd_gemm' | '06_winograd_gemm_s2d', limit: number, seed: number): Promise<number> {
  const xs = [5, ...c.x.slice(1)];
  const s = convShape(xs, c.w, c.opts);
  const x = f32(product(xs), seed);
  const w = f32(product(c.w), seed + 1);
  const dy = f32(s.n * s.k * s.oh * s.ow, seed + 2);
  const d = gpu!;
  Object.defineProperty(d, 'maxBinding', { get: () => limit + d.alignment, configurable: true });
  try {
    const out = await tidy(async () => {
      const X = Tensor.fromArray(x, xs);
      const W = Tensor.fromArray(w, c.w);
      const DY = Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]);
      const before = d.stats.dispatches;
      const y = await conv2d(X, W, null, { ...c.opts, version }).data();
      const dx = version === '06_winograd_gemm' ? await conv2dBackwardData(DY, W, xs, { ...c.opts, version }).data() : null;
      const dw = await conv2dBackwardWeight(X, DY, c.w, { ...c.opts, version }).data();
      return { y, dx, dw, dispatched: d.stats.dispatches - before };
    });
    expectClose(out.y, conv2dRef(s, x, w, null), { atol: 1e-4, name: `chunked ${version} y` });
    if (out.dx) expectClose(out.dx, conv2dDataGradRef(s, dy, w), { atol: 1e-4, name: `chunked ${version} dx` });
    expectClose(out.dw, conv2dWeightGradRef(s, x, dy), { atol: 1e-4, name: `chunked ${version} dw` });
    return out.dispatched;
  } finally {
    delete (d as unknown as Record<string, unknown>).maxBinding;
  }
}

describe.skipIf(!gpu)("Winograd with one batched GEMM ('06_winograd_gemm') against the float64 reference", () => {
  for (const c of CASES) {
    const s = convShape(c.x, c.w, c.opts);
    const x = f32(product(c.x), 31);
    const w = f32(product(c.w), 32);
    const b = f32(c.w[0]!, 33);
    const dy = f32(s.n * s.k * s.oh * s.ow, 34);
    it(`forward + bias + ReLU, forward, data and weight gradients: ${c.name}`, async () => {
      await tidy(async () => {
        const X = Tensor.fromArray(x, c.x);
        const W = Tensor.fromArray(w, c.w);
        const DY = Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]);
        const y = await conv2d(X, W, Tensor.fromArray(b, [s.k]), { ...c.opts, relu: true, version: '06_winograd_gemm' }).data();
        expectClose(y, conv2dRef(s, x, w, b, true), { atol: 1e-4, rtol: 1e-4, name: `06 ${c.name}` });
        const y0 = await conv2d(X, W, null, { ...c.opts, version: '06_winograd_gemm' }).data();
        expectClose(y0, conv2dRef(s, x, w, null), { atol: 1e-4, rtol: 1e-4, name: `06 no bias ${c.name}` });
        const dx = await conv2dBackwardData(DY, W, c.x, { ...c.opts, version: '06_winograd_gemm' }).data();
        expectClose(dx, conv2dDataGradRef(s, dy, w), { atol: 1e-4, rtol: 1e-4, name: `06 dgrad ${c.name}` });
        const dw = await conv2dBackwardWeight(X, DY, c.w, { ...c.opts, version: '06_winograd_gemm' }).data();
        expectClose(dw, conv2dWeightGradRef(s, x, dy), { atol: 1e-4, rtol: 1e-4, name: `06 wgrad ${c.name}` });
      });
    });
  }

  it('the same results whichever image GEMM runs the products (08 and, with subgroups of 8, 09)', async () => {
    const c = CASES[2]!;
    const s = convShape(c.x, c.w, c.opts);
    const x = f32(product(c.x), 41);
    const w = f32(product(c.w), 42);
    const dy = f32(s.n * s.k * s.oh * s.ow, 43);
    for (const version of GEMMS) {
      if (version === '09_subgroup_broadcast' && gpu!.features.subgroupSize !== 8) continue;
      const forced = forceMatmulForTesting(version);
      try {
        await tidy(async () => {
          const X = Tensor.fromArray(x, c.x);
          const W = Tensor.fromArray(w, c.w);
          const DY = Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]);
          expectClose(await conv2d(X, W, null, { ...c.opts, version: '06_winograd_gemm' }).data(), conv2dRef(s, x, w, null), { atol: 1e-4, rtol: 1e-4, name: `06 via ${version}` });
          expectClose(await conv2dBackwardData(DY, W, c.x, { ...c.opts, version: '06_winograd_gemm' }).data(), conv2dDataGradRef(s, dy, w), { atol: 1e-4, rtol: 1e-4, name: `06 dgrad via ${version}` });
          expectClose(await conv2dBackwardWeight(X, DY, c.w, { ...c.opts, version: '06_winograd_gemm' }).data(), conv2dWeightGradRef(s, x, dy), { atol: 1e-4, rtol: 1e-4, name: `06 wgrad via ${version}` });
        });
      } finally {
        forced.restore();
      }
    }
  });

  it('conv1 by space-to-depth then 06, and every gradient through autograd', async () => {
    const c: Case = { name: 'conv1 reduced: 11x11 stride 4 padding 2 on 35x33', x: [2, 3, 35, 33], w: [16, 3, 11, 11], opts: { stride: 4, padding: 2 } };
    const s = convShape(c.x, c.w, c.opts);
    const x = f32(product(c.x), 51);
    const w = f32(product(c.w), 52);
    const b = f32(c.w[0]!, 53);
    const dy = f32(s.n * s.k * s.oh * s.ow, 54);
    await tidy(async () => {
      const xt = Tensor.fromArray(x, c.x).requiresGrad_();
      const wt = Tensor.fromArray(w, c.w).requiresGrad_();
      const bt = Tensor.fromArray(b, [s.k]).requiresGrad_();
      const y = conv2d(xt, wt, bt, { ...c.opts, version: '06_winograd_gemm_s2d' });
      expectClose(await y.data(), conv2dRef(s, x, w, b), { atol: 1e-4, rtol: 1e-4, name: 's2d 06' });
      y.backward(Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]));
      expectClose(await xt.grad!.data(), conv2dDataGradRef(s, dy, w), { atol: 1e-4, rtol: 1e-4, name: 's2d 06 dx' });
      expectClose(await wt.grad!.data(), conv2dWeightGradRef(s, x, dy), { atol: 1e-4, rtol: 1e-4, name: 's2d 06 dw' });
      for (const t of [xt, wt, bt]) t.grad!.dispose();
    });
  });

  // The input transform reads x through space-to-depth (S > 1), in the forward and in the
  // weight gradient. Strides 2, 3 and 4; padding; groups; inputs whose last rows and columns
  // fall past x' (dropped), and tiles that overhang x'.
  const S2D_CASES: Case[] = [
    { name: 'stride 2, 3x3 p1, 2 -> 20 channels on 17x18', x: [2, 2, 17, 18], w: [20, 2, 3, 3], opts: { stride: 2, padding: 1 } },
    { name: 'stride 2, 5x5 p2, groups 2, on 19x16', x: [3, 4, 19, 16], w: [16, 2, 5, 5], opts: { stride: 2, padding: 2, groups: 2 } },
    { name: 'stride 3, 7x7 p3, 4 channels on 23x20', x: [1, 4, 23, 20], w: [12, 4, 7, 7], opts: { stride: 3, padding: [3, 2] } },
    { name: 'stride 4, 11x11 on 38x37 (rows and columns past x\' dropped)', x: [3, 3, 38, 37], w: [24, 3, 11, 11], opts: { stride: 4 } },
  ];
  for (const c of S2D_CASES) {
    it(`space-to-depth then 06 without writing x': forward + bias + ReLU, weight gradient: ${c.name}`, async () => {
      const s = convShape(c.x, c.w, c.opts);
      const x = f32(product(c.x), 81);
      const w = f32(product(c.w), 82);
      const b = f32(c.w[0]!, 83);
      const dy = f32(s.n * s.k * s.oh * s.ow, 84);
      await tidy(async () => {
        const X = Tensor.fromArray(x, c.x);
        const W = Tensor.fromArray(w, c.w);
        const B = Tensor.fromArray(b, [s.k]);
        const DY = Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]);
        const version = '06_winograd_gemm_s2d';
        expectClose(await conv2d(X, W, B, { ...c.opts, relu: true, version }).data(), conv2dRef(s, x, w, b, true), { atol: 1e-4, rtol: 1e-4, name: `s2d 06 relu ${c.name}` });
        expectClose(await conv2d(X, W, null, { ...c.opts, version }).data(), conv2dRef(s, x, w, null), { atol: 1e-4, rtol: 1e-4, name: `s2d 06 ${c.name}` });
        // poisoned: every element of dw is written
        const out = Tensor.fromArray(new Float32Array(product(c.w)).fill(NaN), c.w);
        conv2dBackwardWeight(X, DY, c.w, { ...c.opts, version, out });
        expectClose(await out.data(), conv2dWeightGradRef(s, x, dy), { atol: 1e-4, rtol: 1e-4, name: `s2d 06 wgrad ${c.name}` });
      });
    });
  }

  it('space-to-depth then 06: batch chunks under a small binding limit, the weight gradient summed over them', async () => {
    // two images of the largest per-image tensor: V, 36 points x 48 channels x (4 tiles + 3)
    const dispatched = await checkChunked(S2D_CASES[3]!, '06_winograd_gemm_s2d', 36 * 48 * 7 * 4 * 2, 91);
    // 3 chunks: the forward 2 + 3 x 3 dispatches, the weight gradient 3 x 3 + 2
    expect(dispatched).toBeGreaterThanOrEqual(11 + 11);
  });

  it('splits the batch into chunks under a small binding limit (the weight gradient sums them)', async () => {
    // two images of the largest transformed tensor: 36 points x 24 channels x 16 tiles (+3 of rounding)
    const dispatched = await checkChunked(CASES[0]!, '06_winograd_gemm', 36 * 24 * 19 * 4 * 2, 61);
    // 3 chunks of at most 2 images: forward and data gradient 1 + 3 x 3 dispatches each, the
    // weight gradient 3 x 3 and the output transform
    expect(dispatched).toBeGreaterThanOrEqual(2 * 10 + 10);
  });

  it('refuses by name, before any dispatch, what it cannot run', () => {
    expect(winogradGemmUnsupported(convShape([1, 3, 9, 9], [8, 3, 3, 3], { padding: 1 }))).toMatch(/3 input channels per group.*multiple of 4/);
    expect(winogradGemmUnsupported(convShape([1, 4, 9, 9], [8, 4, 3, 3], { stride: 2 }))).toMatch(/stride 2x2/);
    const before = gpu!.stats.dispatches;
    tidy(() => {
      const x = Tensor.fromArray(f32(3 * 81, 71), [1, 3, 9, 9]);
      const w = Tensor.fromArray(f32(8 * 27, 72), [8, 3, 3, 3]);
      expect(() => conv2d(x, w, null, { padding: 1, version: '06_winograd_gemm' })).toThrow(/06_winograd_gemm' cannot run.*3 input channels per group/);
      // the data gradient's GEMM reads the output channels: 6 per group is not a multiple of 4
      const w6 = Tensor.fromArray(f32(6 * 4 * 9, 73), [6, 4, 3, 3]);
      const dy = Tensor.fromArray(f32(6 * 81, 74), [1, 6, 9, 9]);
      expect(() => conv2dBackwardData(dy, w6, [1, 4, 9, 9], { padding: 1, version: '06_winograd_gemm' })).toThrow(/06_winograd_gemm' cannot run.*6 input channels per group/);
    });
    expect(gpu!.stats.dispatches - before).toBe(0);
  });
});
