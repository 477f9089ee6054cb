// SPDX-License-Identifier: MIT
// Winograd's minimal filtering F(m, r): m outputs of an r-tap correlation from
// alpha = m + r - 1 multiplies instead of m*r, and its 2-D nesting F(my x mx, ry x rx).
// Pure float64 math, no GPU: rung 04 (04_winograd.ts) passes these matrices to the kernels
// src/kernels/wgsl/conv2d/04_winograd_*.wgsl (docs/conv2d.md, "Rung 04: fewer multiplies,
// Winograd", works F(2, 3) through by hand).
//
// The matrices come from a choice of alpha points, alpha - 1 finite ones plus "infinity"
// (Toom-Cook). With polynomials g(t) (degree r-1, the filter) and d(t) (degree m-1), the
// product s = g*d (degree alpha-1) is known from its values at the points: s(p) = g(p) d(p),
// and at infinity its leading coefficient g_{r-1} d_{m-1}. Writing E_g, E_d for "evaluate
// at the points" and W for "evaluate s", the linear convolution is s = W^-1 [(E_g g) * (E_d d)].
// Correlation y_i = sum_k g_k x_{i+k} (what a conv layer computes) is that map transposed:
//     y = E_dᵀ [ (E_g g) ⊙ (W^-T x) ]   i.e.   y = Aᵀ [ (G g) ⊙ (Bᵀ x) ]
// with Aᵀ = E_dᵀ (m x alpha), G = E_g (alpha x r), Bᵀ = W^-T (alpha x alpha). In 2-D,
// Y = Aᵀ_y [ (G_y g G_xᵀ) ⊙ (Bᵀ_y d B_x) ] A_x for an alpha_y x alpha_x input tile d.

/** The matrices of F(m, r), row-major, as float64. */
export interface Winograd1D {
  m: number;
  r: number;
  alpha: number;
  /** the finite points (alpha - 1 of them; the last point is infinity) */
  points: number[];
  /** Bᵀ: alpha x alpha, the input transform */
  BT: Float64Array;
  /** G: alpha x r, the filter transform */
  G: Float64Array;
  /** Aᵀ: m x alpha, the output transform */
  AT: Float64Array;
}

/**
 * Finite points in the order they are used: alpha = 6 (F(4,3)) takes the first five,
 * {0, 1, -1, 1/2, -2}, a set measured more accurate in float32 than {0, ±1, ±2} (Barabasz
 * et al., "Error analysis and improving the accuracy of Winograd convolution", 2020);
 * alpha = 7 (F(3,5)) adds 2.
 */
export const WINOGRAD_POINTS = [0, 1, -1, 0.5, -2, 2, -0.5] as const;

/** F(m, r) for m, r >= 1 and alpha = m + r - 1 <= 8. */
export function winograd1D(m: number, r: number): Winograd1D {
  if (!Number.isInteger(m) || !Number.isInteger(r) || m < 1 || r < 1) throw new Error(`winograd: F(${m}, ${r}) needs positive integers`);
  const alpha = m + r - 1;
  if (alpha > 8) throw new Error(`winograd: F(${m}, ${r}) has alpha = ${alpha}; at most 8 is supported (accuracy falls fast beyond 6)`);
  const points = WINOGRAD_POINTS.slice(0, alpha - 1);
  // evaluation of a polynomial with `deg1` coefficients at the points (+ infinity last)
  const evalMatrix = (deg1: number): Float64Array => {
    const e = new Float64Array(alpha * deg1);
    points.forEach((p, j) => { for (let i = 0; i < deg1; i++) e[j * deg1 + i] = p ** i; });
    e[(alpha - 1) * deg1 + deg1 - 1] = 1;
    return e;
  };
  const W = evalMatrix(alpha);
  const Winv = invert(W, alpha);
  const BT = new Float64Array(alpha * alpha);
  for (let j = 0; j < alpha; j++) for (let i = 0; i < alpha; i++) BT[j * alpha + i] = Winv[i * alpha + j]!;
  const G = evalMatrix(r);
  const Ed = evalMatrix(m);
  const AT = new Float64Array(m * alpha);
  for (let i = 0; i < m; i++) for (let j = 0; j < alpha; j++) AT[i * alpha + j] = Ed[j * m + i]!;
  // Balance each product's two factors: row j of Bᵀ scaled to a largest entry of 1, row j
  // of G by the inverse (their elementwise product, hence the result, is unchanged). It keeps
  // the transformed input and filter of similar size, which float32 rounding prefers.
  for (let j = 0; j < alpha; j++) {
    let big = 0;
    for (let i = 0; i < alpha; i++) big = Math.max(big, Math.abs(BT[j * alpha + i]!));
    for (let i = 0; i < alpha; i++) BT[j * alpha + i]! /= big;
    for (let k = 0; k < r; k++) G[j * r + k]! *= big;
  }
  return { m, r, alpha, points: [...points], BT, G, AT };
}

/** Gauss-Jordan inverse with partial pivoting (n <= 8, float64). */
function invert(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(m[row * n + col]!) > Math.abs(m[piv * n + col]!)) piv = row;
    if (m[piv * n + col] === 0) throw new Error('winograd: singular evaluation matrix (repeated points)');
    for (let k = 0; k < n; k++) {
      [m[col * n + k], m[piv * n + k]] = [m[piv * n + k]!, m[col * n + k]!];
      [inv[col * n + k], inv[piv * n + k]] = [inv[piv * n + k]!, inv[col * n + k]!];
    }
    const d = m[col * n + col]!;
    for (let k = 0; k < n; k++) { m[col * n + k]! /= d; inv[col * n + k]! /= d; }
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const f = m[row * n + col]!;
      if (f === 0) continue;
      for (let k = 0; k < n; k++) { m[row * n + k]! -= f * m[col * n + k]!; inv[row * n + k]! -= f * inv[col * n + k]!; }
    }
  }
  return inv;
}

/** 1-D correlation through F(m, r) in float64: y_i = sum_k g_k x_{i+k}, i < m (x has alpha values). */
export function winogradCorrelate1D(f: Winograd1D, g: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const { m, r, alpha, BT, G, AT } = f;
  const prod = new Float64Array(alpha);
  for (let j = 0; j < alpha; j++) {
    let u = 0;
    let v = 0;
    for (let k = 0; k < r; k++) u += G[j * r + k]! * g[k]!;
    for (let i = 0; i < alpha; i++) v += BT[j * alpha + i]! * x[i]!;
    prod[j] = u * v;
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < alpha; j++) y[i]! += AT[i * alpha + j]! * prod[j]!;
  return y;
}

/**
 * The largest alpha a tile of an r-tap dimension may have: 6 (F(4,3), F(3,4), F(2,5)), and 7
 * for 5-tap filters (F(3,5)): 1.78x fewer transform points than F(2,5) on conv2's 27x27
 * outputs, for a float32 error about twice F(2,5)'s (test/conv/winograd-math.test.ts) and of
 * the same order as F(4,3)'s in the kernels (BENCHMARKS.md). For 3 taps alpha 7 (F(5,3)) is
 * 3-4x less accurate than F(4,3) and measured no faster: on 13x13 outputs its fewer tiles give
 * the batched GEMM fewer, padded columns. Alpha 8 is supported by winograd1D but not chosen.
 */
export function winogradMaxAlpha(r: number): number {
  return r === 5 ? 7 : 6;
}

/**
 * Outputs per tile for an r-tap dimension: the largest m with alpha = m + r - 1 at most
 * winogradMaxAlpha(r) (F(4,3), F(3,4), F(3,5)); r = 1 takes m = 1 (no transform along that
 * dimension). Given the dimension's `out` outputs, a smaller m where it needs fewer transform
 * points ceil(out / m) * alpha, counting the last tile's overhang: 6 outputs of a 3-tap filter
 * take two F(3, 3) tiles, 10 points, where two F(4, 3) tiles take 12 (ties keep the larger m).
 */
export function winogradTileFor(r: number, out?: number): number {
  if (r === 1) return 1;
  const most = Math.max(1, winogradMaxAlpha(r) + 1 - r);
  if (out === undefined) return most;
  const points = (m: number) => Math.ceil(out / m) * (m + r - 1);
  let best = most;
  for (let m = most - 1; m >= 1; m--) if (points(m) < points(best)) best = m;
  return best;
}

/** Multiplies per output of direct correlation over those of F(my x mx, ry x rx), with the
 *  tiles' overhang at the edge of an oh x ow output counted against Winograd. */
export function winogradSaving(ry: number, rx: number, oh: number, ow: number): number {
  const my = winogradTileFor(ry, oh);
  const mx = winogradTileFor(rx, ow);
  const tiles = Math.ceil(oh / my) * Math.ceil(ow / mx);
  return (ry * rx * oh * ow) / ((my + ry - 1) * (mx + rx - 1) * tiles);
}
