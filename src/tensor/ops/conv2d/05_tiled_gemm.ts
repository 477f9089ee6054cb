// SPDX-License-Identifier: MIT
// Rung 05 — the GPU path: im2col over a whole batch chunk (02_im2col.wgsl, LAYOUT 1: pixel-
// major), then the matmul ladder's workgroup-memory GEMM (GPU_GEMM: matmul/06, or 05) with
// 128x128 tiles, for all three passes. Forward: y = W·col per group, bias per row, ReLU and
// the NCHW store in the GEMM's epilogue. Data gradient: pack_dy, dcol = Wᵀ·dy, then
// 05_tiled_gemm_col2im folds the columns back onto the image as a gather. Weight gradient:
// im2col and pack_dy, dw = dy·colᵀ split-K over the pixels, then wgrad_reduce sums the
// slices in a fixed order. Chosen on GPU adapters (not CPU drivers) for big problems.

import type { Device } from '../../device.js';
import { Tensor } from '../../tensor.js';
import { gemm, GPU_GEMM, MATMUL_KERNELS } from '../matmul/index.js';
import { grid } from '../util.js';
import { IMPLICIT_GEMM_KERNELS } from './03_implicit_gemm.js';
import { convParams, planBatchChunks, span, whole, xImage, yImage } from './chunks.js';
import type { Rung } from './rung.js';
import type { ConvShape } from './shape.js';
import { CONV_TUNING } from './tuning.js';

const KERNELS = {
  im2col: 'conv2d/02_im2col.wgsl',
  packDy: IMPLICIT_GEMM_KERNELS.packDy,
  col2im: 'conv2d/05_tiled_gemm_col2im.wgsl',
  reduce: IMPLICIT_GEMM_KERNELS.reduce,
} as const;

/** Batch chunks of the GPU path: x, y and the column buffer of a chunk each fit one binding. */
function gemmChunks(d: Device, s: ConvShape): Array<[number, number]> {
  const colImage = s.c * s.kh * s.kw * s.oh * s.ow * 4;
  return planBatchChunks(s.n, [xImage(s) * 4, yImage(s) * 4, colImage], Math.min(d.maxBinding, CONV_TUNING.gemmColBytes), d.alignment);
}

/** col [C*KH*KW, nb*OH*OW] of one batch chunk (02_im2col.wgsl, LAYOUT 1). */
function im2colPixelMajor(x: Tensor, s: ConvShape, b0: number, nb: number): Tensor {
  const d = x.device;
  const X = span(d, x, b0 * xImage(s), nb * xImage(s));
  const col = Tensor.empty([s.c * s.kh * s.kw, nb * s.oh * s.ow], 'float32', d);
  d.dispatch(KERNELS.im2col, [X.binding, whole(col)], convParams(s, nb, X.rel, 0), grid(col.size), { LAYOUT: 1 });
  return col;
}

/** dy of one batch chunk as dyt [groups, nb*OH*OW, K/groups] (pack_dy.wgsl, no padding). */
function packDyExact(dy: Tensor, s: ConvShape, b0: number, nb: number): Tensor {
  const d = dy.device;
  const kg = s.k / s.groups;
  const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
  const dyt = Tensor.empty([s.groups, nb * s.oh * s.ow, kg], 'float32', d);
  d.dispatch(KERNELS.packDy, [Y.binding, whole(dyt)],
    [{ u: nb }, { u: s.k }, { u: s.oh * s.ow }, { u: s.groups }, { u: kg }, { u: Y.rel }, { u: 0 }, { u: 0 }], grid(dyt.size));
  return dyt;
}

/** The GEMM kernel this rung runs (it follows GPU_GEMM, which the benchmark may change). */
const gemmFile = () => MATMUL_KERNELS[GPU_GEMM.version];

export const tiledGemm: Rung = {
  forward: {
    get wgsl() { return [KERNELS.im2col, gemmFile()]; },
    run(y, x, w, bias, s, relu) {
      // y[n, g*Kg + m, q] = sum_r W_g[m, r] * col[g*R + r, n*Q + q]: one GEMM per group over
      // every pixel of the chunk, bias (+ ReLU) per row, stored NCHW by the folded store
      const d = x.device;
      const r = (s.c / s.groups) * s.kh * s.kw;
      const kg = s.k / s.groups;
      const q = s.oh * s.ow;
      for (const [b0, nb] of gemmChunks(d, s)) {
        const col = im2colPixelMajor(x, s, b0, nb);
        const pix = nb * q;
        for (let g = 0; g < s.groups; g++) {
          gemm({
            m: kg, n: pix, k: r, batch: 1,
            a: w, aOff: g * kg * r, aSm: r, aSk: 1, aSb: 0,
            b: col, bOff: g * r * pix, bSk: pix, bSn: 1, bSb: 0,
            c: y, cOff: b0 * yImage(s) + g * kg * q, cSm: q, cSb: 0, fold: q, cSf: s.k * q,
            alpha: 1, accumulate: false, bias, relu, biasRow: true, biasOff: g * kg,
          }, GPU_GEMM.version);
        }
        col.dispose();
      }
    },
  },
  dgrad: {
    get wgsl() { return [KERNELS.packDy, gemmFile(), KERNELS.col2im]; },
    run(dx, dy, w, s) {
      // dcol[g*R + r, p] = sum_m W_g[m, r] * dy_g[m, p] (a tiled GEMM per group), then col2im
      const d = dy.device;
      const r = (s.c / s.groups) * s.kh * s.kw;
      const kg = s.k / s.groups;
      for (const [b0, nb] of gemmChunks(d, s)) {
        const pix = nb * s.oh * s.ow;
        const dyt = packDyExact(dy, s, b0, nb);
        const dcol = Tensor.empty([s.c * s.kh * s.kw, pix], 'float32', d);
        for (let g = 0; g < s.groups; g++) {
          gemm({
            m: r, n: pix, k: kg, batch: 1,
            a: w, aOff: g * kg * r, aSm: 1, aSk: r, aSb: 0,
            b: dyt, bOff: g * pix * kg, bSk: 1, bSn: kg, bSb: 0,
            c: dcol, cOff: g * r * pix, cSm: pix, cSb: 0,
            alpha: 1, accumulate: false, bias: null, relu: false,
          }, GPU_GEMM.version);
        }
        dyt.dispose();
        const X = span(d, dx, b0 * xImage(s), nb * xImage(s));
        d.dispatch(KERNELS.col2im, [whole(dcol), X.binding], convParams(s, nb, X.rel, 0), grid(nb * xImage(s)));
        dcol.dispose();
      }
    },
  },
  wgrad: {
    get wgsl() { return [KERNELS.im2col, KERNELS.packDy, gemmFile(), KERNELS.reduce]; },
    run(dw, x, dy, s) {
      // part[slice, g*Kg + m, r] = sum over the slice's pixels p of dy_g[m, p] * col[g*R + r, p]
      // (a tiled GEMM per group, split-K over the pixels), then the fixed-order sum of slices
      const d = x.device;
      const count = s.k * (s.c / s.groups) * s.kh * s.kw;
      const r = (s.c / s.groups) * s.kh * s.kw;
      const kg = s.k / s.groups;
      const chunks = gemmChunks(d, s);
      const tiles = Math.ceil(kg / 128) * Math.ceil(r / 128) * s.groups;
      const pix0 = chunks[0]![1] * s.oh * s.ow;
      let slices = Math.max(1, Math.min(Math.ceil(CONV_TUNING.gemmWgradWorkgroups / tiles), Math.floor(pix0 / 256), 64));
      while (slices > 1 && slices * count * 4 > d.maxBinding) slices--;
      const part = Tensor.empty([slices, count], 'float32', d);
      chunks.forEach(([b0, nb], i) => {
        const pix = nb * s.oh * s.ow;
        const col = im2colPixelMajor(x, s, b0, nb);
        const dyt = packDyExact(dy, s, b0, nb);
        const kChunk = Math.ceil(pix / slices / 8) * 8;
        const used = Math.ceil(pix / kChunk);
        for (let g = 0; g < s.groups; g++) {
          gemm({
            m: kg, n: r, k: kChunk, batch: used, kTotal: pix,
            a: dyt, aOff: g * pix * kg, aSm: 1, aSk: kg, aSb: 0,
            b: col, bOff: g * r * pix, bSk: 1, bSn: pix, bSb: 0,
            c: part, cOff: g * kg * r, cSm: r, cSb: count,
            alpha: 1, accumulate: false, bias: null, relu: false,
          }, GPU_GEMM.version);
        }
        col.dispose();
        dyt.dispose();
        d.dispatch(KERNELS.reduce, [whole(part), whole(dw)], [{ u: count }, { u: used }, { u: 0 }, { u: 0 }],
          grid(count), { ACCUMULATE: i > 0 ? 1 : 0 });
      });
      part.dispose();
    },
  },
};
