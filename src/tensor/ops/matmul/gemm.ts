// SPDX-License-Identifier: MIT
// One GEMM problem in element strides (what every matmul kernel computes, and what the conv
// ladder's GEMMs pass in), and its shape without the tensors (the autotuner's key).

import type { GemmProblem } from '../../autotune-table.js';
import type { Tensor } from '../../tensor.js';

/** One GEMM problem in element strides; C rows are contiguous (c_sn = 1). */
export interface Gemm {
  m: number; n: number; k: number; batch: number;
  a: Tensor; aOff: number; aSm: number; aSk: number; aSb: number;
  b: Tensor; bOff: number; bSk: number; bSn: number; bSb: number;
  c: Tensor; cOff: number; cSm: number; cSb: number;
  alpha: number;
  accumulate: boolean;
  bias: Tensor | null;
  relu: boolean;
  // Only 05 and 06 handle the next five (the convolution's GEMMs use them; see 05's header):
  /** bias[biasOff + m] (one per row) instead of bias[n] */
  biasRow?: boolean;
  biasOff?: number;
  /** store column n of C at (n / fold) * cSf + n % fold */
  fold?: number;
  cSf?: number;
  /** split-K: batch counts K slices of `k` each over kTotal (aSb = bSb = 0), C gets one partial per slice */
  kTotal?: number;
}

/** A version picked for a problem, with the reason (matmul's and conv2d's selectors). */
export interface Choice<V> {
  version: V;
  why: string;
}

/** A GEMM's sizes with any layout fields it gives (the rest: contiguous row-major A, B, C). */
export type GemmShape = Pick<Gemm, 'm' | 'n' | 'k' | 'batch'> & Partial<Gemm>;

/** Whether the GEMM uses what only 05/06 have: per-row bias, folded stores, split-K slices. */
export function special(g: Gemm): boolean {
  return !!(g.biasRow || g.fold || g.kTotal);
}

/** The element index of column n of C relative to a row start (folded stores, see 05). */
export function cCol(g: Gemm, n: number): number {
  return g.fold ? Math.floor(n / g.fold) * (g.cSf ?? 0) + (n % g.fold) : n;
}

/** The GEMM with the layout fields it leaves out filled in (row-major, no offsets). */
export function fullGemm(g: GemmShape): Gemm {
  return { aOff: 0, bOff: 0, cOff: 0, aSb: 0, bSb: 0, cSb: 0, aSm: g.k, aSk: 1, bSk: g.n, bSn: 1, cSm: g.n, ...g } as Gemm;
}

/** A GEMM's shape and layout without its tensors (the autotuner's problem). */
export function gemmProblem(g: Gemm): GemmProblem {
  return {
    m: g.m, n: g.n, k: g.k, batch: g.batch,
    aOff: g.aOff % 4, aSm: g.aSm, aSk: g.aSk, aSb: g.aSb,
    bOff: g.bOff % 4, bSk: g.bSk, bSn: g.bSn, bSb: g.bSb,
    cOff: g.cOff % 4, cSm: g.cSm, cSb: g.cSb,
    bias: !!g.bias, relu: g.relu,
  };
}
