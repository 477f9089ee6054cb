// conv2d: every forward, data-gradient and weight-gradient version against the float64
// reference, on shapes that are not tile multiples (AlexNet's hyper-parameters, reduced,
// plus some it does not use), finite-difference checks through autograd, bad input, and
// the batch-chunk planner.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { checkOp } from '../helpers/op.js';
import { expectClose, product, randomArray } from '../helpers/check.js';
import { Tensor, tidy } from '../../src/tensor/index.js';
import { GPU_GEMM } from '../../src/tensor/ops/matmul/index.js';
import {
  conv2d, conv2dBackwardData, conv2dBackwardWeight, convShape, planBatchChunks, planWgrad,
  winogradUnsupported, dgradAsConv, s2dShape, CONV_VERSIONS, DGRAD_VERSIONS, WGRAD_VERSIONS, type Conv2dOptions,
} from '../../src/tensor/ops/conv2d/index.js';
import { conv2dRef, conv2dDataGradRef, conv2dWeightGradRef } from '../../src/tensor/reference/conv2d.js';

interface Case { name: string; x: number[]; w: number[]; opts: Conv2dOptions }
export const CASES: Case[] = [
  { name: 'conv1-like k11 s4 p0', x: [1, 3, 35, 35], w: [8, 3, 11, 11], opts: { stride: 4 } },
  { name: 'conv2-like k5 p2 g2', x: [2, 6, 9, 10], w: [10, 3, 5, 5], opts: { padding: 2, groups: 2 } },
  { name: 'conv3-like k3 p1', x: [2, 7, 7, 6], w: [9, 7, 3, 3], opts: { padding: 1 } },
  { name: 'conv4-like k3 p1 g2', x: [1, 10, 6, 7], w: [6, 5, 3, 3], opts: { padding: 1, groups: 2 } },
  { name: 'dilation 2', x: [2, 3, 11, 9], w: [5, 3, 3, 3], opts: { dilation: 2, padding: 1 } },
  { name: 'stride (2,1) padding (0,2)', x: [2, 4, 9, 8], w: [7, 4, 3, 2], opts: { stride: [2, 1], padding: [0, 2] } },
  { name: 'groups 3, stride (1,2)', x: [1, 9, 5, 6], w: [6, 3, 2, 3], opts: { groups: 3, stride: [1, 2] } },
  { name: '1x1, 17 channels', x: [3, 5, 4, 4], w: [17, 5, 1, 1], opts: {} },
  // 130 channels x 760 pixels: several of the GPU path's 128x128 tiles, and 2 split-K slices
  { name: 'GPU-path tiles: 130 channels, 760 pixels', x: [2, 5, 20, 19], w: [130, 5, 3, 3], opts: { padding: 1 } },
  { name: 'stride (3,2) dilation 2 padding (3,1)', x: [2, 3, 12, 11], w: [5, 3, 3, 3], opts: { stride: [3, 2], dilation: 2, padding: [3, 1] } },
];

const f32 = (n: number, seed: number) => Float32Array.from(randomArray(n, seed));

describe.skipIf(!gpu)('conv2d against the float64 reference', () => {
  for (const c of CASES) {
    const s = convShape(c.x, c.w, c.opts);
    const x = f32(product(c.x), 1);
    const w = f32(product(c.w), 2);
    const b = f32(c.w[0]!, 3);
    const dy = f32(s.n * s.k * s.oh * s.ow, 4);
    const yRef = conv2dRef(s, x, w, b, true);
    const dxRef = conv2dDataGradRef(s, dy, w);
    const dwRef = conv2dWeightGradRef(s, x, dy);

    for (const version of CONV_VERSIONS) {
      it(`forward ${version}: ${c.name}`, async () => {
        const y = await tidy(() => conv2d(Tensor.fromArray(x, c.x), Tensor.fromArray(w, c.w), Tensor.fromArray(b, [s.k]), { ...c.opts, relu: true, version }).data());
        expectClose(y, yRef, { atol: 1e-4, rtol: 1e-4, name: `${version} ${c.name}` });
      });
    }
    for (const version of DGRAD_VERSIONS) {
      it(`data gradient ${version}: ${c.name}`, async () => {
        const dx = await tidy(() => conv2dBackwardData(Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]), Tensor.fromArray(w, c.w), c.x, { ...c.opts, version }).data());
        expectClose(dx, dxRef, { atol: 1e-4, rtol: 1e-4, name: `dgrad ${version} ${c.name}` });
      });
    }
    for (const version of WGRAD_VERSIONS) {
      it(`weight gradient ${version}: ${c.name}`, async () => {
        const dw = await tidy(() => conv2dBackwardWeight(Tensor.fromArray(x, c.x), Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]), c.w, { ...c.opts, version }).data());
        expectClose(dw, dwRef, { atol: 1e-4, rtol: 1e-4, name: `wgrad ${version} ${c.name}` });
      });
    }
  }
});

// Winograd (04) runs stride-1, dilation-1 convolutions: the stride-1 cases above, plus
// AlexNet's conv3-5 and conv2 shapes reduced (13x13 and 15x14 outputs overhang the 4x4 and
// 2x2 tiles), a non-square filter, and a 1x1 filter (no transform at all).
const WINOGRAD_CASES: Case[] = [
  ...CASES.filter((c) => winogradUnsupported(convShape(c.x, c.w, c.opts)) === null),
  { name: 'conv3 reduced: 3x3 p1 on 13x13, 24 channels', x: [2, 16, 13, 13], w: [24, 16, 3, 3], opts: { padding: 1 } },
  { name: 'conv2 reduced: 5x5 p2 on 15x14', x: [1, 8, 15, 14], w: [12, 8, 5, 5], opts: { padding: 2 } },
  { name: '2x3 filter, groups 3, padding (1,0)', x: [2, 6, 10, 11], w: [9, 2, 2, 3], opts: { groups: 3, padding: [1, 0] } },
  { name: '3x3 without padding, 40 output channels (two channel blocks)', x: [3, 5, 9, 7], w: [40, 5, 3, 3], opts: {} },
];

describe.skipIf(!gpu)('Winograd (04) against the float64 reference', () => {
  it('covers the stride-1 cases and refuses the others by name', () => {
    expect(WINOGRAD_CASES.length).toBeGreaterThanOrEqual(9);
    const strided = convShape([1, 3, 35, 35], [8, 3, 11, 11], { stride: 4 });
    expect(winogradUnsupported(strided)).toMatch(/stride 4x4/);
    tidy(() => {
      const x = Tensor.fromArray(f32(3 * 35 * 35, 5), [1, 3, 35, 35]);
      const w = Tensor.fromArray(f32(8 * 3 * 121, 6), [8, 3, 11, 11]);
      expect(() => conv2d(x, w, null, { stride: 4, version: '04_winograd' })).toThrow(/winograd' cannot run stride 4x4.*\[1, 3, 35, 35\]/);
      expect(() => conv2dBackwardData(Tensor.fromArray(f32(8 * 49, 7), [1, 8, 7, 7]), w, [1, 3, 35, 35], { stride: 4, version: '04_winograd' })).toThrow(/04_winograd' cannot run stride 4x4.*needs stride 1/);
    });
  });
  for (const c of WINOGRAD_CASES) {
    const s = convShape(c.x, c.w, c.opts);
    const x = f32(product(c.x), 11);
    const w = f32(product(c.w), 12);
    const b = f32(c.w[0]!, 13);
    const dy = f32(s.n * s.k * s.oh * s.ow, 14);
    it(`forward + bias + ReLU: ${c.name}`, async () => {
      const y = await tidy(() => conv2d(Tensor.fromArray(x, c.x), Tensor.fromArray(w, c.w), Tensor.fromArray(b, [s.k]), { ...c.opts, relu: true, version: '04_winograd' }).data());
      expectClose(y, conv2dRef(s, x, w, b, true), { atol: 1e-4, rtol: 1e-4, name: `winograd ${c.name}` });
    });
    it(`forward without bias: ${c.name}`, async () => {
      const y = await tidy(() => conv2d(Tensor.fromArray(x, c.x), Tensor.fromArray(w, c.w), null, { ...c.opts, version: '04_winograd' }).data());
      expectClose(y, conv2dRef(s, x, w, null), { atol: 1e-4, rtol: 1e-4, name: `winograd ${c.name}` });
    });
    it(`weight gradient: ${c.name}`, async () => {
      const dw = await tidy(() => conv2dBackwardWeight(Tensor.fromArray(x, c.x), Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]), c.w, { ...c.opts, version: '04_winograd' }).data());
      expectClose(dw, conv2dWeightGradRef(s, x, dy), { atol: 1e-4, rtol: 1e-4, name: `wgrad winograd ${c.name}` });
    });
    if (dgradAsConv(s)) {
      it(`data gradient: ${c.name}`, async () => {
        const dx = await tidy(() => conv2dBackwardData(Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]), Tensor.fromArray(w, c.w), c.x, { ...c.opts, version: '04_winograd' }).data());
        expectClose(dx, conv2dDataGradRef(s, dy, w), { atol: 1e-4, rtol: 1e-4, name: `dgrad winograd ${c.name}` });
      });
    }
  }
});

// strided convs as stride-1 ones on spaceToDepth (version '04_winograd_s2d': then Winograd)
const S2D_CASES: Case[] = [
  { name: 'conv1 reduced: 11x11 stride 4 padding 2 on 35x33', x: [2, 3, 35, 33], w: [16, 3, 11, 11], opts: { stride: 4, padding: 2 } },
  { name: '5x5 stride 2 padding 1, groups 2', x: [1, 4, 15, 17], w: [6, 2, 5, 5], opts: { stride: 2, padding: 1, groups: 2 } },
  { name: '3x3 stride 2, no padding, a partial last block', x: [2, 5, 12, 9], w: [7, 5, 3, 3], opts: { stride: 2 } },
  { name: '2x2 stride 3 padding (1, 0): the filter fits one block', x: [1, 2, 10, 11], w: [5, 2, 2, 2], opts: { stride: 3, padding: [1, 0] } },
];

describe.skipIf(!gpu)("space-to-depth + Winograd ('04_winograd_s2d') against the float64 reference", () => {
  for (const c of S2D_CASES) {
    const s = convShape(c.x, c.w, c.opts);
    const x = f32(product(c.x), 21);
    const w = f32(product(c.w), 22);
    const b = f32(c.w[0]!, 23);
    const dy = f32(s.n * s.k * s.oh * s.ow, 24);
    it(`forward + bias + ReLU, and every gradient through autograd: ${c.name}`, async () => {
      await tidy(async () => {
        const xt = Tensor.fromArray(x, c.x).requiresGrad_();
        const wt = Tensor.fromArray(w, c.w).requiresGrad_();
        const bt = Tensor.fromArray(b, [s.k]).requiresGrad_();
        const y = conv2d(xt, wt, bt, { ...c.opts, relu: true, version: '04_winograd_s2d' });
        expectClose(await y.data(), conv2dRef(s, x, w, b, true), { atol: 1e-4, rtol: 1e-4, name: `s2d ${c.name}` });
        const y2 = conv2d(xt, wt, bt, { ...c.opts, version: '04_winograd_s2d' });
        expectClose(await y2.data(), conv2dRef(s, x, w, b), { atol: 1e-4, rtol: 1e-4, name: `s2d no ReLU ${c.name}` });
        y2.backward(Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]));
        expectClose(await xt.grad!.data(), conv2dDataGradRef(s, dy, w), { atol: 1e-4, rtol: 1e-4, name: `s2d dx ${c.name}` });
        expectClose(await wt.grad!.data(), conv2dWeightGradRef(s, x, dy), { atol: 1e-4, rtol: 1e-4, name: `s2d dw ${c.name}` });
        const db = new Float64Array(s.k);
        for (let i = 0; i < dy.length; i++) db[Math.floor(i / (s.oh * s.ow)) % s.k] += dy[i]!;
        expectClose(await bt.grad!.data(), db, { atol: 1e-4, rtol: 1e-4, name: `s2d db ${c.name}` });
        for (const t of [xt, wt, bt]) t.grad!.dispose();
      });
    });
  }
  it('the stride-1 form keeps the output size; refuses by name what it cannot run, before any dispatch', () => {
    const conv1 = convShape([8, 3, 227, 227], [96, 3, 11, 11], { stride: 4 });
    expect(s2dShape(conv1)).toMatchObject({ c: 48, h: 57, w: 57, kh: 3, kw: 3, sh: 1, ph: 0, oh: 55, ow: 55 });
    expect(s2dShape(convShape([1, 3, 20, 20], [4, 3, 3, 3], { stride: [2, 1] }))).toMatch(/stride 2x1/);
    tidy(() => {
      const x = Tensor.fromArray(f32(3 * 35 * 35, 5), [1, 3, 35, 35]);
      const w = Tensor.fromArray(f32(8 * 3 * 9, 6), [8, 3, 3, 3]);
      const after = gpu!.stats.dispatches;
      expect(() => conv2d(x, w, null, { stride: 2, dilation: 2, version: '04_winograd_s2d' })).toThrow(/version '04_winograd_s2d' cannot run dilation 2x2.*\[1, 3, 35, 35\]/);
      expect(() => conv2d(x, w, null, { stride: 1, version: '04_winograd_s2d' })).toThrow(/version '04_winograd_s2d' cannot run stride 1x1/);
      expect(gpu!.stats.dispatches).toBe(after);
    });
  });
});

describe.skipIf(!gpu)('the GPU path through matmul/05 and 06 with K steps of 16, as well as the default', () => {
  for (const cfg of [{ version: '05_tiled', bk: 8 }, { version: '06_tiled_prefetch', bk: 16 }] as const)
  for (const c of [CASES[1]!, CASES.find((k) => k.name.startsWith('GPU-path'))!, CASES[0]!]) {
    it(`forward + bias + ReLU, dgrad, wgrad with ${cfg.version} BK ${cfg.bk}: ${c.name}`, async () => {
      const s = convShape(c.x, c.w, c.opts);
      const x = f32(product(c.x), 21);
      const w = f32(product(c.w), 22);
      const b = f32(c.w[0]!, 23);
      const dy = f32(s.n * s.k * s.oh * s.ow, 24);
      const before = { ...GPU_GEMM };
      GPU_GEMM.version = cfg.version;
      GPU_GEMM.bk = cfg.bk;
      try {
        const [y, dx, dw] = await tidy(async () => {
          const X = Tensor.fromArray(x, c.x);
          const W = Tensor.fromArray(w, c.w);
          const DY = Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]);
          return [
            await conv2d(X, W, Tensor.fromArray(b, [s.k]), { ...c.opts, relu: true, version: '05_tiled_gemm' }).data(),
            await conv2dBackwardData(DY, W, c.x, { ...c.opts, version: '05_tiled_gemm' }).data(),
            await conv2dBackwardWeight(X, DY, c.w, { ...c.opts, version: '05_tiled_gemm' }).data(),
          ];
        });
        expectClose(y!, conv2dRef(s, x, w, b, true), { atol: 1e-4, rtol: 1e-4, name: 'forward 05' });
        expectClose(dx!, conv2dDataGradRef(s, dy, w), { atol: 1e-4, rtol: 1e-4, name: 'dgrad 05' });
        expectClose(dw!, conv2dWeightGradRef(s, x, dy), { atol: 1e-4, rtol: 1e-4, name: 'wgrad 05' });
      } finally {
        Object.assign(GPU_GEMM, before);
      }
    });
  }
});

describe.skipIf(!gpu)('conv2d gradients by finite differences (autograd)', () => {
  const small: Case[] = [
    { name: 'k3 p1 g2 + bias + relu', x: [2, 4, 5, 4], w: [4, 2, 3, 3], opts: { padding: 1, groups: 2, relu: true } },
    { name: 'k3 s2 p(1,0) d(1,2)', x: [1, 3, 7, 8], w: [5, 3, 3, 2], opts: { stride: 2, padding: [1, 0], dilation: [1, 2] } },
  ];
  for (const c of small) {
    for (const version of CONV_VERSIONS) {
      it(`${c.name} (${version})`, async () => {
        const s = convShape(c.x, c.w, c.opts);
        await checkOp({
          name: c.name,
          shapes: [c.x, c.w, [s.k]],
          gpu: (x, w, b) => conv2d(x, w, b!, { ...c.opts, version }),
          ref: (x, w, b) => conv2dRef(s, x, w, b, c.opts.relu ?? false),
          gradAtol: 2e-4,
        });
      });
    }
  }
});

describe.skipIf(!gpu)('conv2d bad input throws before any dispatch', () => {
  const bad: Array<[string, number[], number[], Conv2dOptions, RegExp]> = [
    ['rank 3 input', [3, 8, 8], [4, 3, 3, 3], {}, /rank 4/],
    ['rank 2 weight', [1, 3, 8, 8], [4, 27], {}, /rank 4/],
    ['channels not divisible by groups', [1, 5, 8, 8], [4, 2, 3, 3], { groups: 2 }, /divide by groups/],
    ['outputs not divisible by groups', [1, 4, 8, 8], [5, 2, 3, 3], { groups: 2 }, /divide by groups/],
    ['weight/input channel mismatch', [1, 4, 8, 8], [6, 3, 3, 3], {}, /input channels/],
    ['kernel larger than padded input', [1, 3, 4, 4], [2, 3, 7, 7], { padding: 1 }, /larger than the padded input/],
  ];
  for (const [name, xs, ws, opts, re] of bad) {
    it(name, () => {
      const x = Tensor.fromArray(new Float32Array(product(xs)), xs);
      const w = Tensor.fromArray(new Float32Array(product(ws)), ws);
      const before = gpu!.stats.dispatches;
      expect(() => conv2d(x, w, null, opts)).toThrow(re);
      expect(() => conv2d(x, w, null, opts)).toThrow(/conv2d.*\[/);
      expect(gpu!.stats.dispatches).toBe(before);
      x.dispose();
      w.dispose();
    });
  }
  it('a bias of the wrong length', () => {
    const x = Tensor.fromArray(new Float32Array(48), [1, 3, 4, 4]);
    const w = Tensor.fromArray(new Float32Array(54), [2, 3, 3, 3]);
    const b = Tensor.fromArray(new Float32Array(3), [3]);
    const before = gpu!.stats.dispatches;
    expect(() => conv2d(x, w, b)).toThrow(/conv2d: bias \[3\]/);
    expect(gpu!.stats.dispatches).toBe(before);
    for (const t of [x, w, b]) t.dispose();
  });
});

describe('conv2d batch chunks (pure planner)', () => {
  it('keeps one chunk when everything fits', () => {
    expect(planBatchChunks(8, [1000, 2000], 1 << 20, 256)).toEqual([[0, 8]]);
  });
  it('splits a batch-128 conv1 output (149 MB) under 128 MiB', () => {
    const s = convShape([128, 3, 227, 227], [96, 3, 11, 11], { stride: 4 });
    const perImage = [s.c * s.h * s.w * 4, s.k * s.oh * s.ow * 4];
    const chunks = planBatchChunks(s.n, perImage, 128 * 2 ** 20, 256);
    expect(chunks.length).toBe(2);
    expect(chunks.reduce((a, [, n]) => a + n, 0)).toBe(128);
    for (const [, n] of chunks) expect(n * Math.max(...perImage) + 256).toBeLessThanOrEqual(128 * 2 ** 20);
  });
  it('covers the batch exactly with a small artificial limit', () => {
    const chunks = planBatchChunks(13, [400, 1000], 3300, 256);
    expect(chunks.length).toBe(5); // (3300 - 256) / 1000 = 3 images per chunk
    let next = 0;
    for (const [s0, n] of chunks) {
      expect(s0).toBe(next);
      expect(n * 1000 + 256).toBeLessThanOrEqual(3300);
      next += n;
    }
    expect(next).toBe(13);
  });
  it('throws when one image does not fit', () => {
    expect(() => planBatchChunks(2, [5000], 4096, 256)).toThrow(/conv2d: one image/);
  });
});

describe.skipIf(!gpu)('conv2d runs batch chunks when a binding is small', () => {
  it('gives the same result split over the batch (artificial 8 KiB limit)', async () => {
    const c = CASES[2]!;
    const xs = [5, ...c.x.slice(1)];
    const s = convShape(xs, c.w, c.opts);
    const x = f32(product(xs), 11);
    const w = f32(product(c.w), 12);
    const dy = f32(s.n * s.k * s.oh * s.ow, 13);
    const d = gpu!;
    const limits = d.limits;
    // pretend the device binds at most 2 images' worth of activations
    // (im2col's buffer holds KH*KW copies of each image: give it room for 2 of those)
    const fake = Math.max(s.c * s.h * s.w, s.k * s.oh * s.ow) * 4 * 2 + d.alignment;
    const fakeCol = s.c * s.kh * s.kw * s.oh * s.ow * 4 * 2 + d.alignment;
    let limit = fake;
    Object.defineProperty(d, 'maxBinding', { get: () => limit, configurable: true });
    try {
      const out = await tidy(async () => {
        const X = Tensor.fromArray(x, xs);
        const W = Tensor.fromArray(w, c.w);
        const DY = Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]);
        const before = d.stats.dispatches;
        const results = [];
        for (const v of CONV_VERSIONS) {
          limit = v === '02_im2col' || v === '05_tiled_gemm' ? fakeCol : fake;
          results.push(await conv2d(X, W, null, { ...c.opts, version: v }).data());
        }
        for (const v of DGRAD_VERSIONS) {
          limit = v === '05_tiled_gemm' ? fakeCol : fake;
          results.push(await conv2dBackwardData(DY, W, xs, { ...c.opts, version: v }).data());
        }
        for (const v of WGRAD_VERSIONS) {
          limit = v === '05_tiled_gemm' ? fakeCol : fake;
          results.push(await conv2dBackwardWeight(X, DY, c.w, { ...c.opts, version: v }).data());
        }
        return { results, dispatched: d.stats.dispatches - before };
      });
      const refs = [
        ...CONV_VERSIONS.map(() => conv2dRef(s, x, w, null)),
        ...DGRAD_VERSIONS.map(() => conv2dDataGradRef(s, dy, w)),
        ...WGRAD_VERSIONS.map(() => conv2dWeightGradRef(s, x, dy)),
      ];
      out.results.forEach((r, i) => expectClose(r, refs[i]!, { atol: 1e-4, name: `chunked result ${i}` }));
      // 5 images in chunks of 2: at least 3 dispatches per version
      expect(out.dispatched).toBeGreaterThanOrEqual(3 * (CONV_VERSIONS.length + DGRAD_VERSIONS.length + WGRAD_VERSIONS.length));
      expect(limits).toBe(d.limits);
    } finally {
      delete (d as unknown as Record<string, unknown>).maxBinding;
    }
  });
  it('Winograd too: forward, data and weight gradients split over the batch (sums of chunks added)', async () => {
    const c = CASES[2]!; // 3x3 padding 1: F(4x4, 3x3), 36 transform points
    const xs = [5, ...c.x.slice(1)];
    const s = convShape(xs, c.w, c.opts);
    const x = f32(product(xs), 21);
    const w = f32(product(c.w), 22);
    const dy = f32(s.n * s.k * s.oh * s.ow, 23);
    const d = gpu!;
    const tiles = Math.ceil(s.oh / 4) * Math.ceil(s.ow / 4);
    // two images of dy's transformed tiles (9 channels padded to 12 columns), the largest
    // transformed tensor: the forward and data gradient run in 3 chunks, the weight gradient in 5
    const limit = 36 * 12 * tiles * 4 * 2 + d.alignment;
    Object.defineProperty(d, 'maxBinding', { get: () => limit, configurable: true });
    try {
      const out = await tidy(async () => {
        const X = Tensor.fromArray(x, xs);
        const W = Tensor.fromArray(w, c.w);
        const DY = Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow]);
        const before = d.stats.dispatches;
        const y = await conv2d(X, W, null, { ...c.opts, version: '04_winograd' }).data();
        const dx = await conv2dBackwardData(DY, W, xs, { ...c.opts, version: '04_winograd' }).data();
        const dw = await conv2dBackwardWeight(X, DY, c.w, { ...c.opts, version: '04_winograd' }).data();
        return { y, dx, dw, dispatched: d.stats.dispatches - before };
      });
      expectClose(out.y, conv2dRef(s, x, w, null), { atol: 1e-4, name: 'chunked winograd y' });
      expectClose(out.dx, conv2dDataGradRef(s, dy, w), { atol: 1e-4, name: 'chunked winograd dx' });
      expectClose(out.dw, conv2dWeightGradRef(s, x, dy), { atol: 1e-4, name: 'chunked winograd dw' });
      // forward and data gradient 1 + 3 chunks x 3 dispatches; weight gradient 5 chunks x 3
      // dispatches, 4 adds of the chunks' sums, 1 output transform
      expect(out.dispatched).toBeGreaterThanOrEqual(2 * 10 + 20);
    } finally {
      delete (d as unknown as Record<string, unknown>).maxBinding;
    }
  });
});

describe.skipIf(!gpu)('split-K weight gradient', () => {
  it('splits the small test shapes too, and is deterministic (bitwise equal runs)', async () => {
    const c = CASES[4]!;
    const s = convShape(c.x, c.w, c.opts);
    expect(planWgrad(gpu!, s).slices).toBeGreaterThan(1);
    const x = Tensor.fromArray(f32(product(c.x), 21), c.x);
    const dy = Tensor.fromArray(f32(s.n * s.k * s.oh * s.ow, 22), [s.n, s.k, s.oh, s.ow]);
    const a = await tidy(() => conv2dBackwardWeight(x, dy, c.w, { ...c.opts, version: '03_implicit_gemm' }).data());
    const b = await tidy(() => conv2dBackwardWeight(x, dy, c.w, { ...c.opts, version: '03_implicit_gemm' }).data());
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    x.dispose();
    dy.dispose();
  });
});
