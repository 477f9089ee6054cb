// SPDX-License-Identifier: MIT
// Rung 04 — Winograd's minimal filtering F(4x4, 3x3) / F(3x3, 5x5) for stride-1, dilation-1
// convolutions with at most 6x6 taps (src/kernels/wgsl/conv2d/04_winograd_*.wgsl, numbered in
// execution order): step 1 transforms the filters, step 2 the input's overlapping tiles, the
// GEMM step runs rung 03's kernel as a 1x1 convolution with one group per transform point,
// and step 3 turns each tile's products back into pixels (+ bias, ReLU). The data gradient is the same forward on
// dy with the filters turned 180° (MODE 1); the weight gradient transforms x's and dy's
// tiles, sums over tiles with rung 03's split-K weight gradient, and the output kernel turns
// the sums into taps. The matrices come from winograd_matrices.ts; the math is derived in
// docs/conv2d.md ("Rung 04: fewer multiplies, Winograd").

import { Tensor } from '../../tensor.js';
import { add } from '../elementwise.js';
import { grid } from '../util.js';
import { IMPLICIT_GEMM_KERNELS, wgradCols, wgradSplitK } from './03_implicit_gemm.js';
import { convParams, planBatchChunks, span, whole, xImage, yImage } from './chunks.js';
import type { Rung } from './rung.js';
import type { ConvShape } from './shape.js';
import { CONV_TUNING, fit } from './tuning.js';
import { winograd1D, winogradTileFor, type Winograd1D } from './winograd_matrices.js';

export const WINOGRAD_KERNELS = {
  weight: 'conv2d/04_winograd_1_weight.wgsl',
  input: 'conv2d/04_winograd_2_input.wgsl',
  gemm: IMPLICIT_GEMM_KERNELS.forward,
  output: 'conv2d/04_winograd_3_output.wgsl',
} as const;
const KERNELS = WINOGRAD_KERNELS;

/** Why Winograd cannot run this convolution, or null when it can (forward, weight gradient). */
export function winogradUnsupported(s: ConvShape): string | null {
  if (s.sh !== 1 || s.sw !== 1) return `stride ${s.sh}x${s.sw} (the tiles need stride 1)`;
  if (s.dh !== 1 || s.dw !== 1) return `dilation ${s.dh}x${s.dw} (the tiles need dilation 1)`;
  if (s.kh > 6 || s.kw > 6) return `a ${s.kh}x${s.kw} filter (at most 6 taps per dimension: input tiles of at most 6)`;
  return null;
}

/** The data gradient of a stride-1 conv as a forward conv of dy (filters turned 180°,
 *  input and output channels swapped, padding KH-1-ph), or null when it is not one. */
export function dgradAsConv(s: ConvShape): ConvShape | null {
  if (s.sh !== 1 || s.sw !== 1 || s.dh !== 1 || s.dw !== 1 || s.ph > s.kh - 1 || s.pw > s.kw - 1) return null;
  return {
    n: s.n, c: s.k, h: s.oh, w: s.ow, k: s.c, kh: s.kh, kw: s.kw, sh: 1, sw: 1,
    ph: s.kh - 1 - s.ph, pw: s.kw - 1 - s.pw, dh: 1, dw: 1, groups: s.groups, oh: s.h, ow: s.w,
  };
}

/** Why the Winograd data gradient cannot run this convolution, or null when it can. */
export function winogradDgradUnsupported(s: ConvShape): string | null {
  const e = dgradAsConv(s);
  if (e && !winogradUnsupported(e)) return null;
  return `stride ${s.sh}x${s.sw}, dilation ${s.dh}x${s.dw}, padding ${s.ph}x${s.pw}, filter ${s.kh}x${s.kw} ` +
    '(the data gradient needs stride 1, dilation 1, a filter of at most 6x6 and padding < the filter size)';
}

/** F(m, r), built once per (m, r): the matrices are the same for every call. */
const winogradCache = new Map<string, Winograd1D>();
export function winogradCached(m: number, r: number): Winograd1D {
  let f = winogradCache.get(`${m},${r}`);
  if (!f) winogradCache.set(`${m},${r}`, (f = winograd1D(m, r)));
  return f;
}
/** The forward's F(m, r) for an r-tap dimension of `out` outputs (m from winogradTileFor). */
export const winogradFor = (r: number, out: number): Winograd1D => winogradCached(winogradTileFor(r, out), r);

/** Two row-major matrices as the 128 floats of a Winograd kernel's `mats` (zero padded),
 *  built once per pair: they are passed with every dispatch. */
const matsCache = new Map<Float64Array, Map<Float64Array, Array<{ f: number }>>>();
export function mats(a: Float64Array, b: Float64Array): Array<{ f: number }> {
  let inner = matsCache.get(a);
  if (!inner) matsCache.set(a, (inner = new Map()));
  let out = inner.get(b);
  if (!out) {
    out = [...a, ...b].map((f) => ({ f }));
    while (out.length < 128) out.push({ f: 0 });
    inner.set(b, out);
  }
  return out;
}

/** 03's block for the 1x1 conv of the GEMM step: the channels fitted, and PIX (8 down to 4)
 *  chosen to waste the fewest pixel slots on few tiles (conv3-5 at batch 8: 128 tile columns). */
function winogradBlock(pixels: number, channels: number): typeof CONV_TUNING.forward {
  const t = fit(CONV_TUNING.forward, channels);
  let best = t;
  let bestSlots = Infinity;
  for (let pix = t.PIX; pix >= Math.max(1, Math.floor(t.PIX / 2)); pix--) {
    const slots = Math.ceil(pixels / (t.WG * pix)) * t.WG * pix;
    if (slots < bestSlots) { bestSlots = slots; best = { ...t, PIX: pix }; }
  }
  return best;
}

/**
 * out = the stride-1 convolution e of inp (bias, ReLU), by Winograd F(my x mx, KH x KW):
 * step 1 transforms the filters into 03's packed layout (MODE 1 for the data gradient's turned
 * filters), then per batch chunk step 2 transforms the input tiles into V, the GEMM step runs
 * 03_implicit_gemm as a 1x1 conv with AY*AX*groups groups (one GEMM per transform point),
 * and step 3 transforms the products back into pixels (+ bias, ReLU).
 */
function winogradInto(out: Tensor, inp: Tensor, w: Tensor, bias: Tensor | null, e: ConvShape, relu: boolean, mode: 0 | 1): void {
  const d = inp.device;
  const fy = winogradFor(e.kh, e.oh);
  const fx = winogradFor(e.kw, e.ow);
  const xi = fy.alpha * fx.alpha;
  const th = Math.ceil(e.oh / fy.m);
  const tw = Math.ceil(e.ow / fx.m);
  const tiles = th * tw;
  const cg = e.c / e.groups;
  const kg = e.k / e.groups;
  const COV = fit(CONV_TUNING.forward, kg).COV;
  const cols = Math.ceil(kg / (4 * COV)) * 4 * COV;
  const shape = { AY: fy.alpha, AX: fx.alpha };

  const wp = Tensor.empty([xi * e.groups, cg, cols], 'float32', d);
  const wTotal = e.groups * cg * cols;
  d.dispatch(KERNELS.weight, [whole(w), whole(wp)],
    [{ u: kg }, { u: cg }, { u: e.groups }, { u: cols }, { u: wTotal }, { u: 0 }, { u: 0 }, { u: 0 }, ...mats(fy.G, fx.G)],
    grid(wTotal), { ...shape, KH: e.kh, KW: e.kw, MODE: mode });

  const epilogue = bias ? (relu ? 2 : 1) : 0;
  const vImage = xi * e.c * tiles;
  const mImage = xi * e.k * tiles;
  for (const [b0, nb] of planBatchChunks(e.n, [xImage(e) * 4, yImage(e) * 4, vImage * 4, mImage * 4], d.maxBinding, d.alignment)) {
    const X = span(d, inp, b0 * xImage(e), nb * xImage(e));
    const V = Tensor.empty([nb, xi * e.c, th, tw], 'float32', d);
    d.dispatch(KERNELS.input, [X.binding, whole(V)],
      [{ u: nb }, { u: e.c }, { u: e.h }, { u: e.w }, { u: th }, { u: tw }, { u: fy.m }, { u: fx.m },
        { i: e.ph }, { i: e.pw }, { u: X.rel }, { u: nb * e.c * tiles }, { u: e.groups }, { u: 0 }, { u: 0 }, { u: 0 }, ...mats(fy.BT, fx.BT)],
      grid(nb * e.c * tiles), { ...shape, IY: fy.alpha, IX: fx.alpha });
    // the GEMM step: M[n, xi*K + k, t] = sum_c U[xi, c, k] V[n, xi*C + c, t], 03 as a 1x1 conv
    const s1: ConvShape = {
      n: nb, c: xi * e.c, h: th, w: tw, k: xi * e.k, kh: 1, kw: 1, sh: 1, sw: 1,
      ph: 0, pw: 0, dh: 1, dw: 1, groups: xi * e.groups, oh: th, ow: tw,
    };
    const t = winogradBlock(nb * tiles, kg);
    const M = Tensor.empty([nb, xi * e.k, th, tw], 'float32', d);
    d.dispatch(KERNELS.gemm, [whole(V), whole(wp), whole(wp), whole(M)], convParams(s1, nb, 0, 0, cols),
      [Math.ceil((nb * tiles) / (t.WG * t.PIX)), cols / (4 * t.COV), xi * e.groups], { EPILOGUE: 0, ...t });
    V.dispose(); // safe: later work that reuses the buffer is recorded after these reads
    const Y = span(d, out, b0 * yImage(e), nb * yImage(e));
    d.dispatch(KERNELS.output, [whole(M), bias ? whole(bias) : whole(wp), Y.binding],
      [{ u: nb }, { u: e.k }, { u: e.oh }, { u: e.ow }, { u: th }, { u: tw }, { u: 0 }, { u: 0 },
        { u: Y.rel }, { u: nb * e.k * tiles }, { u: 0 }, { u: 0 }, ...mats(fy.AT, fx.AT)],
      grid(nb * e.k * tiles), { ...shape, MY: fy.m, MX: fx.m, EPILOGUE: epilogue });
    M.dispose();
  }
  wp.dispose();
}

/**
 * dw of a stride-1 conv by Winograd F(KH x KW, my x mx): dw is x correlated with dy, so
 * with dy's my x mx tiles as the "filters" and the KH x KW taps as the outputs,
 *   dw[k, c] = Aᵀ [ Σ_(n, tiles) (G dy_(k,t) Gᵀ) ⊙ (Bᵀ x_(c,t) B) ] A.
 * The input kernel transforms x's tiles (as the forward does, with F(KH, my)'s Bᵀ) and dy's
 * tiles (the same kernel with G); the sum over tiles is the weight gradient of a 1x1 conv
 * with AY*AX*groups groups (03_implicit_gemm_wgrad); the output kernel (one "tile" per
 * (k, c)) turns each AY x AX block of sums into the KH x KW taps.
 */
function winogradWgrad(dw: Tensor, x: Tensor, dy: Tensor, s: ConvShape): void {
  const d = x.device;
  const fy = winogradCached(s.kh, winogradTileFor(s.kh, s.oh)); // F(KH, my): KH outputs (taps), my-tap "filter" (dy's tile)
  const fx = winogradCached(s.kw, winogradTileFor(s.kw, s.ow));
  const my = fy.r;
  const mx = fx.r;
  const xi = fy.alpha * fx.alpha;
  const th = Math.ceil(s.oh / my);
  const tw = Math.ceil(s.ow / mx);
  const tiles = th * tw;
  const cg = s.c / s.groups;
  const shape = { AY: fy.alpha, AX: fx.alpha };
  let P: Tensor | null = null; // [xi*K, Cg, 1, 1]: the sums, transform point xi at rows xi*K + k
  const chunkOf = (nb: number): ConvShape => ({
    n: nb, c: xi * s.c, h: th, w: tw, k: xi * s.k, kh: 1, kw: 1, sh: 1, sw: 1,
    ph: 0, pw: 0, dh: 1, dw: 1, groups: xi * s.groups, oh: th, ow: tw,
  });
  const cols = wgradCols(chunkOf(1));
  for (const [b0, nb] of planBatchChunks(s.n, [xi * s.c * tiles * 4, xi * s.groups * cols * tiles * 4, xImage(s) * 4, yImage(s) * 4], d.maxBinding, d.alignment)) {
    const X = span(d, x, b0 * xImage(s), nb * xImage(s));
    const X1 = Tensor.empty([nb, xi * s.c, th, tw], 'float32', d);
    d.dispatch(KERNELS.input, [X.binding, whole(X1)],
      [{ u: nb }, { u: s.c }, { u: s.h }, { u: s.w }, { u: th }, { u: tw }, { u: my }, { u: mx },
        { i: s.ph }, { i: s.pw }, { u: X.rel }, { u: nb * s.c * tiles }, { u: s.groups }, { u: 0 }, { u: 0 }, { u: 0 }, ...mats(fy.BT, fx.BT)],
      grid(nb * s.c * tiles), { ...shape, IY: fy.alpha, IX: fx.alpha });
    // dy's tiles straight into the split-K kernel's channel-last layout (no pack_dy pass)
    const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
    const D1 = Tensor.empty([xi * s.groups, nb * tiles, cols], 'float32', d);
    const dTotal = nb * s.groups * cols * tiles;
    d.dispatch(KERNELS.input, [Y.binding, whole(D1)],
      [{ u: nb }, { u: s.k }, { u: s.oh }, { u: s.ow }, { u: th }, { u: tw }, { u: my }, { u: mx },
        { i: 0 }, { i: 0 }, { u: Y.rel }, { u: dTotal }, { u: s.groups }, { u: cols }, { u: 0 }, { u: 0 }, ...mats(fy.G, fx.G)],
      grid(dTotal), { ...shape, IY: my, IX: mx, LAYOUT: 1 });
    const part = Tensor.empty([xi * s.k, cg, 1, 1], 'float32', d);
    wgradSplitK(X1, null, D1, chunkOf(nb), part);
    X1.dispose();
    D1.dispose();
    if (P) { const sum2 = add(P, part); P.dispose(); part.dispose(); P = sum2; } else P = part;
  }
  const outputs = s.k * cg;
  d.dispatch(KERNELS.output, [whole(P!), whole(P!), whole(dw)],
    [{ u: 1 }, { u: outputs }, { u: s.kh }, { u: s.kw }, { u: 1 }, { u: 1 }, { u: 0 }, { u: 0 },
      { u: 0 }, { u: outputs }, { u: 0 }, { u: 0 }, ...mats(fy.AT, fx.AT)],
    grid(outputs), { ...shape, MY: s.kh, MX: s.kw, EPILOGUE: 0 });
  P!.dispose();
}

const ALL = [KERNELS.weight, KERNELS.input, KERNELS.gemm, KERNELS.output];

export const winograd: Rung = {
  forward: {
    wgsl: ALL,
    unsupported: winogradUnsupported,
    run(y, x, w, bias, s, relu) { winogradInto(y, x, w, bias, s, relu, 0); },
  },
  dgrad: {
    wgsl: ALL,
    unsupported: winogradDgradUnsupported,
    run(dx, dy, w, s) { winogradInto(dx, dy, w, null, dgradAsConv(s)!, false, 1); },
  },
  wgrad: {
    wgsl: [KERNELS.input, IMPLICIT_GEMM_KERNELS.wgrad, IMPLICIT_GEMM_KERNELS.reduce, KERNELS.output],
    unsupported: winogradUnsupported,
    run: winogradWgrad,
  },
};
