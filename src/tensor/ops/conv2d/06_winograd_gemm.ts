// SPDX-License-Identifier: MIT
// Rung 06 — Winograd with its products as one batched GEMM: the transforms of rung 04
// (src/kernels/wgsl/conv2d/04_winograd_*.wgsl, in their point-major layouts), and between
// them one matmul over every transform point and group at once, on the matmul ladder's
// CPU-driver kernel: 09_subgroup_broadcast, or 08_image_operands where subgroups are not 8
// invocations wide (both read their operands as images). The rung pins that GEMM (like rung 02
// pins its own), so it runs the same kernels on any adapter; the selectors pick it on CPU drivers.
//
// Where rung 04 runs 03_implicit_gemm as a 1x1 convolution per image, here each transform
// point xi and group g is one GEMM over every image of the batch chunk:
//   forward (and the data gradient, MODE 1 filters):
//     M[xi, g] (Kg x cols) = U[xi, g] (Kg x Cg) · V[xi, g] (Cg x cols)
//   with U the transformed filters, V the transformed input tiles, cols = the chunk's tiles
//   (images side by side) rounded up to 4;
//   weight gradient:  P[xi, g] (Kg x Cg) = D[xi, g] (Kg x cols) · X[xi, g]ᵀ (cols x Cg)
//   with D dy's transformed tiles and X x's, summed over the chunks (or Pᵀ = X·Dᵀ, where
//   Cg x Kg fills the GEMM's blocks better; step 3 then reads it transposed).
// The matrices and the per-tile math are rung 04's (docs/conv2d.md, "Winograd").

import { Tensor } from '../../tensor.js';
import { gemm } from '../matmul/dispatch.js';
import { imageGemm } from '../matmul/select.js';
import { imageGemmArea } from '../matmul/versions.js';
import { grid } from '../util.js';
import { dgradAsConv, mats, WINOGRAD_KERNELS as KERNELS, winogradCached, winogradFor, winogradUnsupported } from './04_winograd.js';
import { planBatchChunks, span, whole, xImage, yImage } from './chunks.js';
import type { Rung } from './rung.js';
import type { ConvShape } from './shape.js';
import { winogradTileFor } from './winograd_matrices.js';

/** Why 06 cannot run a forward convolution, or null: 04's conditions, and Cg (the GEMM's K) a multiple of 4. */
export function winogradGemmUnsupported(s: ConvShape): string | null {
  const bad = winogradUnsupported(s);
  if (bad) return bad;
  return (s.c / s.groups) % 4 ? `${s.c / s.groups} input channels per group (the GEMM reads 4 at a time: a multiple of 4)` : null;
}

/** Why 06 cannot run the data gradient, or null (it is a forward conv of dy with Kg input channels). */
export function winogradGemmDgradUnsupported(s: ConvShape): string | null {
  const e = dgradAsConv(s);
  if (!e) return `stride ${s.sh}x${s.sw}, dilation ${s.dh}x${s.dw}, padding ${s.ph}x${s.pw}, filter ${s.kh}x${s.kw} (the data gradient needs stride 1, dilation 1 and padding < the filter size)`;
  return winogradGemmUnsupported(e);
}

/** Columns of a chunk's point-major matrices: its tiles, images side by side, rounded up to 4. */
export const colsFor = (nb: number, tiles: number) => Math.ceil((nb * tiles) / 4) * 4;

/**
 * How the input transform reads the tensor it cuts into tiles: as it is (the stride-1
 * convolution e itself), or, given `real` (06_winograd_gemm_s2d), through space-to-depth:
 * the tensor is the strided convolution's x and e is the stride-1 convolution on
 * x' = spaceToDepth(x, real.sh, padding real.ph/pw) that it becomes (s2dShape), read without
 * writing x' (04_winograd_2_input.wgsl, "S > 1"). Returns x's values per image, the
 * transform's sizes and padding uniforms, and its S override.
 */
function inputRead(e: ConvShape, real?: ConvShape) {
  if (!real) return { image: xImage(e), dims: [{ u: e.h }, { u: e.w }], pad: [{ i: e.ph }, { i: e.pw }], s2d: [{ u: 0 }, { u: 0 }], S: 1 };
  return { image: xImage(real), dims: [{ u: real.h }, { u: real.w }], pad: [{ i: real.ph }, { i: real.pw }], s2d: [{ u: e.h }, { u: e.w }], S: real.sh };
}

/**
 * out = the stride-1 convolution e of inp (bias, ReLU): U = the filters transformed into
 * [xi, g, Kg, Cg]; per batch chunk V = the input tiles transformed into [xi, C, cols], one
 * batched GEMM M = U·V over the xi*groups products, and M's tiles transformed back into
 * pixels (+ bias, ReLU). mode 1: the data gradient's turned filters.
 */
export function winogradGemmInto(out: Tensor, inp: Tensor, w: Tensor, bias: Tensor | null, e: ConvShape, relu: boolean, mode: 0 | 1, real?: ConvShape): void {
  const d = inp.device;
  const fy = winogradFor(e.kh, e.oh);
  const fx = winogradFor(e.kw, e.ow);
  const xi = fy.alpha * fx.alpha;
  const th = Math.ceil(e.oh / fy.m);
  const tw = Math.ceil(e.ow / fx.m);
  const tiles = th * tw;
  const cg = e.c / e.groups;
  const kg = e.k / e.groups;
  const shape = { AY: fy.alpha, AX: fx.alpha };

  const U = Tensor.empty([xi * e.groups, kg, cg], 'float32', d);
  const uTotal = e.groups * kg * cg;
  d.dispatch(KERNELS.weight, [whole(w), whole(U)],
    [{ u: kg }, { u: cg }, { u: e.groups }, { u: kg }, { u: uTotal }, { u: 0 }, { u: 0 }, { u: 0 }, ...mats(fy.G, fx.G)],
    grid(uTotal), { ...shape, KH: e.kh, KW: e.kw, MODE: mode, LAYOUT: 1 });

  const epilogue = bias ? (relu ? 2 : 1) : 0;
  const r = inputRead(e, real);
  // bytes per image of x, y, V and M (V and M: a tile column per tile, plus at most 3 of rounding)
  const perImage = [r.image * 4, yImage(e) * 4, xi * e.c * (tiles + 3) * 4, xi * e.k * (tiles + 3) * 4];
  for (const [b0, nb] of planBatchChunks(e.n, perImage, d.maxBinding, d.alignment)) {
    const cols = colsFor(nb, tiles);
    const X = span(d, inp, b0 * r.image, nb * r.image);
    const V = Tensor.empty([xi, e.c, cols], 'float32', d);
    d.dispatch(KERNELS.input, [X.binding, whole(V)],
      [{ u: nb }, { u: e.c }, ...r.dims, { u: th }, { u: tw }, { u: fy.m }, { u: fx.m },
        ...r.pad, { u: X.rel }, { u: e.c * cols }, { u: e.groups }, { u: cols }, ...r.s2d, ...mats(fy.BT, fx.BT)],
      grid(e.c * cols), { ...shape, IY: fy.alpha, IX: fx.alpha, LAYOUT: 2, S: r.S });
    const M = Tensor.empty([xi, e.k, cols], 'float32', d);
    gemm({
      m: kg, n: cols, k: cg, batch: xi * e.groups,
      a: U, aOff: 0, aSm: cg, aSk: 1, aSb: kg * cg,
      b: V, bOff: 0, bSk: cols, bSn: 1, bSb: cg * cols,
      c: M, cOff: 0, cSm: cols, cSb: kg * cols,
      alpha: 1, accumulate: false, bias: null, relu: false,
    }, imageGemm(d));
    V.dispose(); // safe: later work that reuses the buffer is recorded after these reads
    const Y = span(d, out, b0 * yImage(e), nb * yImage(e));
    d.dispatch(KERNELS.output, [whole(M), bias ? whole(bias) : whole(U), Y.binding],
      [{ u: nb }, { u: e.k }, { u: e.oh }, { u: e.ow }, { u: th }, { u: tw }, { u: cols }, { u: 0 },
        { u: Y.rel }, { u: nb * e.k * tiles }, { u: 0 }, { u: 0 }, ...mats(fy.AT, fx.AT)],
      grid(nb * e.k * tiles), { ...shape, MY: fy.m, MX: fx.m, EPILOGUE: epilogue, LAYOUT: 1 });
    M.dispose();
  }
  U.dispose();
}

/**
 * dw of a stride-1 conv by Winograd F(KH x KW, my x mx), as rung 04 computes it, with the sum
 * over tiles as a batched GEMM with Bᵀ: P[xi, g] = D[xi, g] · X[xi, g]ᵀ, accumulated over
 * batch chunks; the output kernel turns each point's sums into the KH x KW taps.
 */
export function winogradGemmWgrad(dw: Tensor, x: Tensor, dy: Tensor, s: ConvShape, real?: ConvShape): void {
  const d = x.device;
  const fy = winogradCached(s.kh, winogradTileFor(s.kh, s.oh)); // F(KH, my): dy's my x mx tiles are the "filters"
  const fx = winogradCached(s.kw, winogradTileFor(s.kw, s.ow));
  const my = fy.r;
  const mx = fx.r;
  const xi = fy.alpha * fx.alpha;
  const th = Math.ceil(s.oh / my);
  const tw = Math.ceil(s.ow / mx);
  const tiles = th * tw;
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  const shape = { AY: fy.alpha, AX: fx.alpha };
  // P[xi, g] = D·Xᵀ (Kg x Cg), or Pᵀ = X·Dᵀ (Cg x Kg) where the GEMM's blocks fit that shape
  // better (09 computes blocks 64 columns wide: Cg = 24 would fill 3/8 of each)
  const version = imageGemm(d);
  const swap = imageGemmArea(version, cg, kg) < imageGemmArea(version, kg, cg);
  const P = Tensor.empty([xi * s.k, cg], 'float32', d);
  const r = inputRead(s, real);
  const perImage = [r.image * 4, yImage(s) * 4, xi * s.c * (tiles + 3) * 4, xi * s.k * (tiles + 3) * 4];
  let first = true;
  for (const [b0, nb] of planBatchChunks(s.n, perImage, d.maxBinding, d.alignment)) {
    const cols = colsFor(nb, tiles);
    const X = span(d, x, b0 * r.image, nb * r.image);
    const X1 = Tensor.empty([xi, s.c, cols], 'float32', d);
    d.dispatch(KERNELS.input, [X.binding, whole(X1)],
      [{ u: nb }, { u: s.c }, ...r.dims, { u: th }, { u: tw }, { u: my }, { u: mx },
        ...r.pad, { u: X.rel }, { u: s.c * cols }, { u: s.groups }, { u: cols }, ...r.s2d, ...mats(fy.BT, fx.BT)],
      grid(s.c * cols), { ...shape, IY: fy.alpha, IX: fx.alpha, LAYOUT: 2, S: r.S });
    const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
    const D1 = Tensor.empty([xi, s.k, cols], 'float32', d);
    d.dispatch(KERNELS.input, [Y.binding, whole(D1)],
      [{ u: nb }, { u: s.k }, { u: s.oh }, { u: s.ow }, { u: th }, { u: tw }, { u: my }, { u: mx },
        { i: 0 }, { i: 0 }, { u: Y.rel }, { u: s.k * cols }, { u: s.groups }, { u: cols }, { u: 0 }, { u: 0 }, ...mats(fy.G, fx.G)],
      grid(s.k * cols), { ...shape, IY: my, IX: mx, LAYOUT: 2 });
    const [A, B, m, n] = swap ? [X1, D1, cg, kg] : [D1, X1, kg, cg];
    gemm({
      m, n, k: cols, batch: xi * s.groups,
      a: A, aOff: 0, aSm: cols, aSk: 1, aSb: m * cols,
      b: B, bOff: 0, bSk: 1, bSn: cols, bSb: n * cols,
      c: P, cOff: 0, cSm: n, cSb: kg * cg,
      alpha: 1, accumulate: !first, bias: null, relu: false,
    }, version);
    first = false;
    X1.dispose();
    D1.dispose();
  }
  const outputs = s.k * cg;
  // swapped, the output step reads each group's sums as Cg x Kg (TRANSPOSED)
  d.dispatch(KERNELS.output, [whole(P), whole(P), whole(dw)],
    [{ u: 1 }, { u: outputs }, { u: s.kh }, { u: s.kw }, { u: 1 }, { u: 1 }, { u: 0 }, { u: 0 },
      { u: 0 }, { u: outputs }, { u: kg }, { u: cg }, ...mats(fy.AT, fx.AT)],
    grid(outputs), { ...shape, MY: s.kh, MX: s.kw, EPILOGUE: 0, TRANSPOSED: swap ? 1 : 0 });
  P.dispose();
}

/** The GEMM step's kernel as listed: 09, which is 08 on an adapter without subgroups of 8 (imageGemm). */
const GEMM = 'matmul/09_subgroup_broadcast.wgsl';
const WGSL = [KERNELS.weight, KERNELS.input, GEMM, KERNELS.output];
const NOTE = 'matmul/08_image_operands.wgsl instead of 09 where subgroups are not 8 invocations wide';

export const winogradGemm: Rung = {
  forward: {
    wgsl: WGSL,
    note: NOTE,
    unsupported: winogradGemmUnsupported,
    run(y, x, w, bias, s, relu) { winogradGemmInto(y, x, w, bias, s, relu, 0); },
  },
  dgrad: {
    wgsl: WGSL,
    note: NOTE,
    unsupported: winogradGemmDgradUnsupported,
    run(dx, dy, w, s) { winogradGemmInto(dx, dy, w, null, dgradAsConv(s)!, false, 1); },
  },
  wgrad: {
    wgsl: [KERNELS.input, GEMM, KERNELS.output],
    note: NOTE,
    unsupported: (s) => winogradUnsupported(s) ?? ((s.c / s.groups) % 4 ? `${s.c / s.groups} input channels per group (the GEMM's N: a multiple of 4)` : null),
    run: winogradGemmWgrad,
  },
};
