// SPDX-License-Identifier: MIT
// Rung 03 — implicit GEMM, register-blocked (src/kernels/wgsl/conv2d/03_implicit_gemm*.wgsl):
// the GEMM of rung 02 with im2col computed on the fly, each invocation owning a block of
// pixels x channels. Forward: pack_weight (MODE 0) then 03_implicit_gemm, bias + ReLU fused.
// Data gradient: pack_weight (MODE 1, the transposed filter) then 03_implicit_gemm_dgrad,
// split into stride phases so only integral taps are visited. Weight gradient: pack_dy then
// 03_implicit_gemm_wgrad, split-K over pixels, then wgrad_reduce sums the slices in a fixed
// order (no atomics). The default on CPU drivers wherever Winograd (04) does not apply.

import type { Device } from '../../device.js';
import { Tensor } from '../../tensor.js';
import { grid } from '../util.js';
import { batchChunks, convParams, planBatchChunks, span, whole, xImage, yImage } from './chunks.js';
import type { Rung } from './rung.js';
import type { ConvShape } from './shape.js';
import { CONV_TUNING, fit, fitWgrad } from './tuning.js';

const KERNELS = {
  packWeight: 'conv2d/pack_weight.wgsl',
  forward: 'conv2d/03_implicit_gemm.wgsl',
  dgrad: 'conv2d/03_implicit_gemm_dgrad.wgsl',
  packDy: 'conv2d/pack_dy.wgsl',
  wgrad: 'conv2d/03_implicit_gemm_wgrad.wgsl',
  reduce: 'conv2d/wgrad_reduce.wgsl',
} as const;
export const IMPLICIT_GEMM_KERNELS = KERNELS;

/** The weight re-laid out as [groups, R, cols] (see pack_weight.wgsl), cols a multiple of `block`. */
function packWeight(w: Tensor, s: ConvShape, mode: 0 | 1, block: number): { wp: Tensor; cols: number } {
  const d = w.device;
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  const channels = mode === 0 ? kg : cg;
  const rows = (mode === 0 ? cg : kg) * s.kh * s.kw;
  const cols = Math.ceil(channels / block) * block;
  const wp = Tensor.empty([s.groups, rows, cols], 'float32', d);
  d.dispatch(KERNELS.packWeight, [whole(w), whole(wp)],
    [{ u: s.k }, { u: cg }, { u: s.kh }, { u: s.kw }, { u: s.groups }, { u: cols }, { u: 0 }, { u: 0 }],
    grid(wp.size), { MODE: mode });
  return { wp, cols };
}

/**
 * Split-K plan of the weight gradient: batch chunks (each activation chunk fits one
 * binding) and the pixel slices per chunk. Enough slices that there are at least
 * `targetWorkgroups` workgroups, each slice at least 16 pixels, and the partials
 * [slices, K, R] fit one binding.
 */
export function planWgrad(d: Pick<Device, 'maxBinding' | 'alignment'>, s: ConvShape, targetWorkgroups = 256): { chunks: Array<[number, number]>; slices: number } {
  const t = fitWgrad(s);
  const r = (s.c / s.groups) * s.kh * s.kw;
  const kg = s.k / s.groups;
  const dytImage = s.groups * s.oh * s.ow * Math.ceil(kg / (4 * t.COV)) * 4 * t.COV; // pack_dy's output per image
  const chunks = planBatchChunks(s.n, [xImage(s) * 4, yImage(s) * 4, dytImage * 4], d.maxBinding, d.alignment);
  const base = Math.ceil(r / (t.WG * t.TAPS)) * Math.ceil(kg / (4 * t.COV)) * s.groups;
  const pixels = chunks[0]![1] * s.oh * s.ow;
  const dwBytes = s.k * r * 4;
  let slices = Math.max(1, Math.min(Math.ceil(targetWorkgroups / base), Math.floor(pixels / 16), 64));
  while (slices > 1 && slices * dwBytes > d.maxBinding) slices--;
  if (dwBytes > d.maxBinding) throw new Error(`conv2d: the weight gradient (${dwBytes} bytes) does not fit one binding`);
  return { chunks, slices };
}

/** The channel columns of pack_dy's output for the split-K weight gradient (Kg rounded up to its block). */
export function wgradCols(s: ConvShape): number {
  const t = fitWgrad(s);
  return Math.ceil(s.k / s.groups / (4 * t.COV)) * 4 * t.COV;
}

/**
 * The split-K weight gradient into dw: every batch chunk is cut into `slices` pixel slices;
 * each slice writes one partial dw into part[slices, K, R]; wgrad_reduce sums them in slice
 * order (and adds the chunk's sum to dw for the second and later chunks): a fixed order, no
 * atomics. With one slice and one chunk the kernel writes dw itself (no reduce). dy is
 * packed per chunk by pack_dy, unless `packed` already holds it as [groups, N*OH*OW, cols]
 * for a single chunk (Winograd's weight gradient writes its transformed dy that way).
 */
export function wgradSplitK(x: Tensor, dy: Tensor | null, packed: Tensor | null, s: ConvShape, dw: Tensor): void {
  const d = x.device;
  const t = fitWgrad(s);
  const plan = planWgrad(d, s);
  const count = s.k * (s.c / s.groups) * s.kh * s.kw;
  const cols = wgradCols(s);
  const r = (s.c / s.groups) * s.kh * s.kw;
  if (packed && (plan.chunks.length > 1 || packed.size !== s.groups * s.n * s.oh * s.ow * cols)) {
    throw new Error(`conv2d: a packed dy of ${packed.size} values does not fit the weight gradient's plan`);
  }
  const direct = plan.slices === 1 && plan.chunks.length === 1;
  const part = direct ? dw : Tensor.empty([plan.slices, count], 'float32', d);
  plan.chunks.forEach(([b0, nb], i) => {
    const X = span(d, x, b0 * xImage(s), nb * xImage(s));
    const q = nb * s.oh * s.ow;
    let dyt = packed;
    if (!dyt) {
      const Y = span(d, dy!, b0 * yImage(s), nb * yImage(s));
      dyt = Tensor.empty([s.groups, q, cols], 'float32', d);
      d.dispatch(KERNELS.packDy, [Y.binding, whole(dyt)],
        [{ u: nb }, { u: s.k }, { u: s.oh * s.ow }, { u: s.groups }, { u: cols }, { u: Y.rel }, { u: 0 }, { u: 0 }], grid(dyt.size));
    }
    const params = convParams(s, nb, X.rel, plan.slices, cols, 0); // y_off's slot carries the slice count
    const wg: [number, number, number] = [Math.ceil(r / (t.WG * t.TAPS)), cols / (4 * t.COV), s.groups * plan.slices];
    d.dispatch(KERNELS.wgrad, [X.binding, whole(dyt), whole(part)], params, wg, { ...t });
    if (!packed) dyt.dispose();
    if (!direct) {
      d.dispatch(KERNELS.reduce, [whole(part), whole(dw)], [{ u: count }, { u: plan.slices }, { u: 0 }, { u: 0 }],
        grid(count), { ACCUMULATE: i > 0 ? 1 : 0 });
    }
  });
  if (!direct) part.dispose();
}

export const implicitGemm: Rung = {
  forward: {
    wgsl: [KERNELS.packWeight, KERNELS.forward],
    run(y, x, w, bias, s, relu) {
      const d = x.device;
      const t = fit(CONV_TUNING.forward, s.k / s.groups);
      const { wp, cols } = packWeight(w, s, 0, 4 * t.COV);
      for (const [b0, nb] of batchChunks(d, s)) {
        const X = span(d, x, b0 * xImage(s), nb * xImage(s));
        const Y = span(d, y, b0 * yImage(s), nb * yImage(s));
        const wg: [number, number, number] = [Math.ceil((nb * s.oh * s.ow) / (t.WG * t.PIX)), cols / (4 * t.COV), s.groups];
        d.dispatch(KERNELS.forward, [X.binding, whole(wp), whole(bias ?? w), Y.binding], convParams(s, nb, X.rel, Y.rel, cols),
          wg, { EPILOGUE: bias ? (relu ? 2 : 1) : 0, ...t });
      }
      wp.dispose(); // safe: later work that reuses the buffer is recorded after this read
    },
  },
  dgrad: {
    wgsl: [KERNELS.packWeight, KERNELS.dgrad],
    run(dx, dy, w, s) {
      const d = dy.device;
      const t = fit(CONV_TUNING.dgrad, s.c / s.groups);
      const { wp, cols } = packWeight(w, s, 1, 4 * t.COV);
      for (const [b0, nb] of batchChunks(d, s)) {
        const X = span(d, dx, b0 * xImage(s), nb * xImage(s));
        const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
        // one z-slice per (group, stride phase); x covers the largest phase's pixels
        const phasePixels = nb * Math.ceil(s.h / s.sh) * Math.ceil(s.w / s.sw);
        const wg: [number, number, number] = [Math.ceil(phasePixels / (t.WG * t.PIX)), cols / (4 * t.COV), s.groups * s.sh * s.sw];
        d.dispatch(KERNELS.dgrad, [Y.binding, whole(wp), X.binding], convParams(s, nb, X.rel, Y.rel, cols), wg,
          { ...t, UNIT_STRIDE: s.sh === 1 && s.sw === 1 ? 1 : 0 });
      }
      wp.dispose();
    },
  },
  wgrad: {
    wgsl: [KERNELS.packDy, KERNELS.wgrad, KERNELS.reduce],
    run(dw, x, dy, s) {
      wgradSplitK(x, dy, null, s, dw);
    },
  },
};
