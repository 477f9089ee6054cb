// SPDX-License-Identifier: MIT
// A convolution problem: its sizes (ConvShape), the checks that name the op and the shapes
// before anything is dispatched, and its cost.

import { fmtShape, type Shape, type Tensor } from '../../tensor.js';
import { assertFloat } from '../util.js';

/** Every size of one convolution problem (H, W: input; OH, OW: output; C, K: all groups). */
export interface ConvShape {
  n: number; c: number; h: number; w: number;
  k: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  groups: number;
  oh: number; ow: number;
}

/** Stride, padding, dilation and groups of a convolution (one number: the same for H and W). */
export interface ConvHyper {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

const pair = (v: number | [number, number] | undefined, dflt: number): [number, number] =>
  v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/**
 * Checks a convolution's shapes and hyper-parameters and computes the output size. Every
 * error names `conv2d` and the shapes, and is thrown before anything is dispatched.
 */
export function convShape(xShape: Shape, wShape: Shape, opts: ConvHyper = {}): ConvShape {
  const shapes = `input ${fmtShape(xShape)}, weight ${fmtShape(wShape)}`;
  const fail = (why: string): never => {
    throw new Error(`conv2d: ${why} (${shapes})`);
  };
  if (xShape.length !== 4) fail(`the input must be NCHW (rank 4), got rank ${xShape.length}`);
  if (wShape.length !== 4) fail(`the weight must be [K, C/groups, KH, KW] (rank 4), got rank ${wShape.length}`);
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [k, cg, kh, kw] = wShape as [number, number, number, number];
  const [sh, sw] = pair(opts.stride, 1);
  const [ph, pw] = pair(opts.padding, 0);
  const [dh, dw] = pair(opts.dilation, 1);
  const groups = opts.groups ?? 1;
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  if (![sh, sw].every(posInt)) fail(`stride must be positive integers, got ${sh}, ${sw}`);
  if (![dh, dw].every(posInt)) fail(`dilation must be positive integers, got ${dh}, ${dw}`);
  if (![ph, pw].every((v) => Number.isInteger(v) && v >= 0)) fail(`padding must be integers >= 0, got ${ph}, ${pw}`);
  if (!posInt(groups)) fail(`groups must be a positive integer, got ${groups}`);
  if ([n, c, h, w, k, cg, kh, kw].some((v) => !posInt(v))) fail('every dimension must be at least 1');
  if (c % groups !== 0) fail(`input channels ${c} do not divide by groups=${groups}`);
  if (k % groups !== 0) fail(`output channels ${k} do not divide by groups=${groups}`);
  if (cg * groups !== c) {
    fail(`the weight expects ${cg * groups} input channels (${cg} per group x ${groups} groups) but the input has ${c}`);
  }
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  if (ekh > h + 2 * ph || ekw > w + 2 * pw) {
    fail(`the kernel (${ekh}x${ekw} with dilation) is larger than the padded input (${h + 2 * ph}x${w + 2 * pw})`);
  }
  const oh = Math.floor((h + 2 * ph - ekh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - ekw) / sw) + 1;
  return { n, c, h, w, k, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow };
}

/** Multiply-adds x 2 of the forward pass (the data and weight gradients cost the same). */
export function convFlops(s: ConvShape): number {
  return 2 * s.n * s.k * s.oh * s.ow * (s.c / s.groups) * s.kh * s.kw;
}

/** The hyper-parameters of a ConvShape, as conv2d's options take them. */
export function hyperOf(s: ConvShape): Required<ConvHyper> {
  return { stride: [s.sh, s.sw], padding: [s.ph, s.pw], dilation: [s.dh, s.dw], groups: s.groups };
}

/** Throws, naming the op, unless dy has the convolution's output shape. */
export function checkDy(op: string, dy: Tensor, s: ConvShape): void {
  const want = [s.n, s.k, s.oh, s.ow];
  if (dy.rank !== 4 || dy.shape.some((v, i) => v !== want[i])) {
    throw new Error(`${op}: dy ${fmtShape(dy.shape)} does not match the convolution's output ${fmtShape(want)}`);
  }
  assertFloat(op, dy);
}
