// SPDX-License-Identifier: MIT
// The float64 CPU oracle of conv2d and its gradients, written straight from the definitions
// (docs/conv2d.md, "Notation"): one function per pass gives one value, and the whole output
// is that function at every index. Slow but obviously right. The tests compare every conv
// version with the whole output; the benchmark (bench/conv2d.ts) and the browser kernel lab
// evaluate the same functions on a sample of elements of a big output.

import type { ConvShape } from '../ops/conv2d/shape.js';

/** y[n, co, oy, ox] = b[co] + Σ_{ci, ky, kx} x[n, g·Cg + ci, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw] · w[co, ci, ky, kx] (ReLU if asked). */
export function conv2dRefAt(
  s: ConvShape, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null,
  n: number, co: number, oy: number, ox: number, relu = false,
): number {
  const cg = s.c / s.groups;
  const c0 = Math.floor(co / (s.k / s.groups)) * cg;
  let acc = b ? b[co]! : 0;
  for (let ci = 0; ci < cg; ci++) {
    for (let ky = 0; ky < s.kh; ky++) {
      const iy = oy * s.sh - s.ph + ky * s.dh;
      if (iy < 0 || iy >= s.h) continue;
      for (let kx = 0; kx < s.kw; kx++) {
        const ix = ox * s.sw - s.pw + kx * s.dw;
        if (ix < 0 || ix >= s.w) continue;
        acc += x[((n * s.c + c0 + ci) * s.h + iy) * s.w + ix]! * w[((co * cg + ci) * s.kh + ky) * s.kw + kx]!;
      }
    }
  }
  return relu ? Math.max(acc, 0) : acc;
}

/**
 * dx[n, c, iy, ix] = Σ dy[n, co, oy, ox] · w[co, c − g·Cg, ky, kx] over the output channels co
 * of c's group and the taps (ky, kx) whose output position oy = (iy + ph − ky·dh) / sh,
 * ox = (ix + pw − kx·dw) / sw is an integer inside the output: the forward, transposed.
 */
export function conv2dDataGradRefAt(s: ConvShape, dy: ArrayLike<number>, w: ArrayLike<number>, n: number, c: number, iy: number, ix: number): number {
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  const g = Math.floor(c / cg);
  const ci = c - g * cg;
  let acc = 0;
  for (let co = g * kg; co < (g + 1) * kg; co++) {
    for (let ky = 0; ky < s.kh; ky++) {
      const ty = iy + s.ph - ky * s.dh;
      if (ty < 0 || ty % s.sh || ty / s.sh >= s.oh) continue;
      for (let kx = 0; kx < s.kw; kx++) {
        const tx = ix + s.pw - kx * s.dw;
        if (tx < 0 || tx % s.sw || tx / s.sw >= s.ow) continue;
        acc += dy[((n * s.k + co) * s.oh + ty / s.sh) * s.ow + tx / s.sw]! * w[((co * cg + ci) * s.kh + ky) * s.kw + kx]!;
      }
    }
  }
  return acc;
}

/** dw[co, ci, ky, kx] = Σ_{n, oy, ox} dy[n, co, oy, ox] · x[n, g·Cg + ci, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw]. */
export function conv2dWeightGradRefAt(s: ConvShape, x: ArrayLike<number>, dy: ArrayLike<number>, co: number, ci: number, ky: number, kx: number): number {
  const cg = s.c / s.groups;
  const c = Math.floor(co / (s.k / s.groups)) * cg + ci;
  let acc = 0;
  for (let n = 0; n < s.n; n++) {
    for (let oy = 0; oy < s.oh; oy++) {
      const iy = oy * s.sh - s.ph + ky * s.dh;
      if (iy < 0 || iy >= s.h) continue;
      for (let ox = 0; ox < s.ow; ox++) {
        const ix = ox * s.sw - s.pw + kx * s.dw;
        if (ix < 0 || ix >= s.w) continue;
        acc += dy[((n * s.k + co) * s.oh + oy) * s.ow + ox]! * x[((n * s.c + c) * s.h + iy) * s.w + ix]!;
      }
    }
  }
  return acc;
}

/** f at every index of a row-major array of the given dimensions. */
function everywhere(dims: readonly number[], f: (idx: number[]) => number): Float64Array {
  const total = dims.reduce((a, b) => a * b, 1);
  const out = new Float64Array(total);
  const idx = dims.map(() => 0);
  for (let i = 0; i < total; i++) {
    out[i] = f(idx);
    for (let d = dims.length - 1; d >= 0 && ++idx[d]! === dims[d]; d--) idx[d] = 0;
  }
  return out;
}

/** The whole forward output [N, K, OH, OW]. */
export function conv2dRef(s: ConvShape, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, relu = false): Float64Array {
  return everywhere([s.n, s.k, s.oh, s.ow], ([n, co, oy, ox]) => conv2dRefAt(s, x, w, b, n!, co!, oy!, ox!, relu));
}

/** The whole data gradient dx [N, C, H, W]. */
export function conv2dDataGradRef(s: ConvShape, dy: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  return everywhere([s.n, s.c, s.h, s.w], ([n, c, iy, ix]) => conv2dDataGradRefAt(s, dy, w, n!, c!, iy!, ix!));
}

/** The whole weight gradient dw [K, C/groups, KH, KW]. */
export function conv2dWeightGradRef(s: ConvShape, x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return everywhere([s.k, s.c / s.groups, s.kh, s.kw], ([co, ci, ky, kx]) => conv2dWeightGradRefAt(s, x, dy, co!, ci!, ky!, kx!));
}

/** db[co] = Σ_{n, oy, ox} dy[n, co, oy, ox]. */
export function conv2dBiasGradRef(s: ConvShape, dy: ArrayLike<number>): Float64Array {
  const db = new Float64Array(s.k);
  const hw = s.oh * s.ow;
  for (let n = 0; n < s.n; n++) for (let co = 0; co < s.k; co++) for (let j = 0; j < hw; j++) db[co]! += dy[(n * s.k + co) * hw + j]!;
  return db;
}
