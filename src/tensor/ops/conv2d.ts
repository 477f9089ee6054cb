// SPDX-License-Identifier: MIT
// 2-D convolution: NCHW activations, PyTorch weights [K, C/groups, KH, KW], optional bias [K]
// and fused bias + ReLU, with stride, padding, dilation and groups, and autograd.
//
// Kernel versions (src/kernels/wgsl/conv2d/, reading order in its README.md):
//   forward  01_naive (the oracle), 02_im2col (+ the matmul GEMM), 03_implicit_gemm
//   dgrad    dgrad_01_gather (the oracle)
//   wgrad    wgrad_01_naive (the oracle)
// `selectConv2d` picks the forward version and says why (`explainConv2d`). Activations
// larger than one storage binding (a batch-128 conv1 output is 149 MB, lavapipe binds
// 128 MiB) are split over the batch: see `planBatchChunks`.

import type { Binding, Device } from '../device.js';
import { fmtShape, record, type Shape, Tensor } from '../tensor.js';
import { reluBackward } from './elementwise.js';
import type { Choice } from './matmul.js';
import { sum } from './reduce.js';
import { assertFloat, assertSameDevice, grid } from './util.js';

export type ConvVersion = 'naive' | 'implicit';
export type DgradVersion = 'naive';
export type WgradVersion = 'naive';
export const CONV_VERSIONS: readonly ConvVersion[] = ['naive', 'implicit'];
export const DGRAD_VERSIONS: readonly DgradVersion[] = ['naive'];
export const WGRAD_VERSIONS: readonly WgradVersion[] = ['naive'];

export const CONV_KERNELS = {
  naive: 'conv2d/01_naive.wgsl',
  implicit: 'conv2d/03_implicit_gemm.wgsl',
  pack: 'conv2d/pack_weight.wgsl',
  dgradNaive: 'conv2d/dgrad_01_gather.wgsl',
  wgradNaive: 'conv2d/wgrad_01_naive.wgsl',
} as const;

/** Every size of one convolution problem (H, W: input; OH, OW: output; C, K: all groups). */
export interface ConvShape {
  n: number; c: number; h: number; w: number;
  k: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  groups: number;
  oh: number; ow: number;
}

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
  /** fused epilogue: y = max(conv + bias, 0) (needs a bias) */
  relu?: boolean;
  /** force a forward version instead of `selectConv2d` */
  version?: ConvVersion;
}

const pair = (v: number | [number, number] | undefined, dflt: number): [number, number] =>
  v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/**
 * Checks a convolution's shapes and hyper-parameters and computes the output size. Every
 * error names `conv2d` and the shapes, and is thrown before anything is dispatched.
 */
export function convShape(xShape: Shape, wShape: Shape, opts: Omit<Conv2dOptions, 'relu' | 'version'> = {}): ConvShape {
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

// ---- batch chunks ------------------------------------------------------------------------

/**
 * Splits a batch of `n` images into runs [start, count] such that, for every tensor whose
 * bytes per image are listed, a run's bytes plus one alignment unit (a binding starts at
 * an aligned offset up to one unit before the run) fit `maxBinding`. Pure: testable with
 * an artificial limit. Throws when one image alone does not fit.
 */
export function planBatchChunks(n: number, bytesPerImage: readonly number[], maxBinding: number, alignment: number): Array<[number, number]> {
  const per = Math.max(...bytesPerImage);
  const fit = Math.floor((maxBinding - alignment) / per);
  if (fit < 1) throw new Error(`conv2d: one image needs ${per} bytes, more than one storage binding (${maxBinding} bytes)`);
  const out: Array<[number, number]> = [];
  // equal-sized chunks (the last may be smaller), as few as possible
  const chunks = Math.ceil(n / fit);
  const size = Math.ceil(n / chunks);
  for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
  return out;
}

/** A binding of elements [start, start+count) of t, from an aligned offset; `rel` = start - offset. */
function span(d: Device, t: Tensor, start: number, count: number): { binding: Binding; rel: number } {
  const alignElems = d.alignment / 4;
  const s = Math.floor(start / alignElems) * alignElems;
  return { binding: { buffer: t.buffer, offset: s * 4, size: Math.max(4, (start + count - s) * 4) }, rel: start - s };
}

function whole(t: Tensor): Binding {
  return { buffer: t.buffer, offset: 0, size: Math.max(4, t.byteLength) };
}

/** The uniform block shared by every conv2d kernel (see 01_naive.wgsl). */
function convParams(s: ConvShape, n: number, xOff: number, yOff: number, extra0 = 0, extra1 = 0) {
  return [
    { u: n }, { u: s.c }, { u: s.h }, { u: s.w },
    { u: s.k }, { u: s.oh }, { u: s.ow }, { u: s.groups },
    { u: s.kh }, { u: s.kw }, { u: s.sh }, { u: s.sw },
    { i: s.ph }, { i: s.pw }, { u: s.dh }, { u: s.dw },
    { u: xOff }, { u: yOff }, { u: extra0 }, { u: extra1 },
  ];
}

const xImage = (s: ConvShape) => s.c * s.h * s.w;
const yImage = (s: ConvShape) => s.k * s.oh * s.ow;

function batchChunks(d: Device, s: ConvShape): Array<[number, number]> {
  return planBatchChunks(s.n, [xImage(s) * 4, yImage(s) * 4], d.maxBinding, d.alignment);
}

/**
 * Block shapes of the register-blocked kernels (override constants): WG invocations per
 * workgroup, PIX pixels and COV vec4s of channels per invocation. Exported so the
 * benchmark can try others; the defaults are the measured best on lavapipe.
 */
export const CONV_TUNING = {
  forward: { WG: 64, PIX: 8, COV: 8 },
};

/** The weight re-laid out as [groups, R, cols] (see pack_weight.wgsl), cols a multiple of `block`. */
function packWeight(w: Tensor, s: ConvShape, mode: 0 | 1, block: number): { wp: Tensor; cols: number } {
  const d = w.device;
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  const channels = mode === 0 ? kg : cg;
  const rows = (mode === 0 ? cg : kg) * s.kh * s.kw;
  const cols = Math.ceil(channels / block) * block;
  const wp = Tensor.empty([s.groups, rows, cols], 'float32', d);
  d.dispatch(CONV_KERNELS.pack, [whole(w), whole(wp)],
    [{ u: s.k }, { u: cg }, { u: s.kh }, { u: s.kw }, { u: s.groups }, { u: cols }, { u: 0 }, { u: 0 }],
    grid(wp.size), { MODE: mode });
  return { wp, cols };
}

// ---- version selection -------------------------------------------------------------------

/** Picks the forward version for a problem, with the reason. */
export function selectConv2d(_s: ConvShape, _device?: Device): Choice<ConvVersion> {
  return { version: 'naive', why: 'direct convolution: the only version so far' };
}

/** One sentence: which forward version runs for this problem and why. */
export function explainConv2d(s: ConvShape, device?: Device): string {
  return selectConv2d(s, device).why;
}

// ---- forward -----------------------------------------------------------------------------

function forwardInto(y: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, s: ConvShape, relu: boolean, version: ConvVersion): void {
  const d = x.device;
  const epilogue = bias ? (relu ? 2 : 1) : 0;
  const biasB = bias ? whole(bias) : whole(w); // unused when EPILOGUE = 0
  switch (version) {
    case 'naive':
      for (const [b0, nb] of batchChunks(d, s)) {
        const X = span(d, x, b0 * xImage(s), nb * xImage(s));
        const Y = span(d, y, b0 * yImage(s), nb * yImage(s));
        d.dispatch(CONV_KERNELS.naive, [X.binding, whole(w), biasB, Y.binding], convParams(s, nb, X.rel, Y.rel),
          grid(nb * yImage(s)), { EPILOGUE: epilogue });
      }
      return;
    case 'implicit': {
      const t = CONV_TUNING.forward;
      const { wp, cols } = packWeight(w, s, 0, 4 * t.COV);
      for (const [b0, nb] of batchChunks(d, s)) {
        const X = span(d, x, b0 * xImage(s), nb * xImage(s));
        const Y = span(d, y, b0 * yImage(s), nb * yImage(s));
        const wg: [number, number, number] = [Math.ceil((nb * s.oh * s.ow) / (t.WG * t.PIX)), cols / (4 * t.COV), s.groups];
        d.dispatch(CONV_KERNELS.implicit, [X.binding, whole(wp), biasB, Y.binding], convParams(s, nb, X.rel, Y.rel, cols),
          wg, { EPILOGUE: epilogue, ...t });
      }
      wp.dispose(); // safe: later work that reuses the buffer is recorded after this read
      return;
    }
  }
}

/**
 * y = conv2d(x, w) [+ bias] [ReLU]. x: [N, C, H, W]; w: [K, C/groups, KH, KW]; bias: [K].
 * Returns [N, K, OH, OW] with OH = floor((H + 2ph - dh(KH-1) - 1) / sh) + 1 (same for OW).
 */
export function conv2d(x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const s = convShape(x.shape, w.shape, opts);
  assertFloat('conv2d', x, w, ...(bias ? [bias] : []));
  const d = assertSameDevice('conv2d', x, w, ...(bias ? [bias] : []));
  if (bias && (bias.rank !== 1 || bias.shape[0] !== s.k)) {
    throw new Error(`conv2d: bias ${fmtShape(bias.shape)} does not match ${s.k} output channels (weight ${fmtShape(w.shape)})`);
  }
  const relu = opts.relu ?? false;
  if (relu && !bias) throw new Error('conv2d: relu: true needs a bias (the fused epilogue is bias + ReLU)');
  const version = opts.version ?? selectConv2d(s, d).version;
  const y = Tensor.empty([s.n, s.k, s.oh, s.ow], 'float32', d);
  forwardInto(y, x, w, bias, s, relu, version);
  const inputs = bias ? [x, w, bias] : [x, w];
  const hyper = { stride: [s.sh, s.sw] as [number, number], padding: [s.ph, s.pw] as [number, number], dilation: [s.dh, s.dw] as [number, number], groups: s.groups };
  return record(y, 'conv2d', inputs, (gy) => {
    const g = relu ? reluBackward(gy, y) : gy;
    const dx = x.requiresGrad ? conv2dBackwardData(g, w, x.shape, hyper) : null;
    const dw = w.requiresGrad ? conv2dBackwardWeight(x, g, w.shape, hyper) : null;
    const out: Array<Tensor | null> = [dx, dw];
    if (bias) out.push(bias.requiresGrad ? sum(g, [0, 2, 3]) : null);
    if (g !== gy) g.dispose();
    return out;
  });
}

// ---- gradients ---------------------------------------------------------------------------

export interface ConvBackwardOptions<V> extends Omit<Conv2dOptions, 'relu' | 'version'> {
  /** force a version instead of the selector's choice */
  version?: V;
}

/** dx = the gradient of conv2d with respect to its input, given dy and w. */
export function conv2dBackwardData(dy: Tensor, w: Tensor, xShape: Shape, opts: ConvBackwardOptions<DgradVersion> = {}): Tensor {
  const s = convShape(xShape, w.shape, opts);
  checkDy('conv2dBackwardData', dy, s);
  const d = assertSameDevice('conv2dBackwardData', dy, w);
  const dx = Tensor.empty(xShape, 'float32', d);
  for (const [b0, nb] of batchChunks(d, s)) {
    const X = span(d, dx, b0 * xImage(s), nb * xImage(s));
    const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
    d.dispatch(CONV_KERNELS.dgradNaive, [Y.binding, whole(w), X.binding], convParams(s, nb, X.rel, Y.rel), grid(nb * xImage(s)));
  }
  return dx;
}

/** dw = the gradient of conv2d with respect to its weight, given x and dy. */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, wShape: Shape, opts: ConvBackwardOptions<WgradVersion> = {}): Tensor {
  const s = convShape(x.shape, wShape, opts);
  checkDy('conv2dBackwardWeight', dy, s);
  const d = assertSameDevice('conv2dBackwardWeight', x, dy);
  const dw = Tensor.empty(wShape, 'float32', d);
  const count = s.k * (s.c / s.groups) * s.kh * s.kw;
  batchChunks(d, s).forEach(([b0, nb], i) => {
    const X = span(d, x, b0 * xImage(s), nb * xImage(s));
    const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
    d.dispatch(CONV_KERNELS.wgradNaive, [X.binding, Y.binding, whole(dw)], convParams(s, nb, X.rel, Y.rel),
      grid(count), { ACCUMULATE: i > 0 ? 1 : 0 });
  });
  return dw;
}

function checkDy(op: string, dy: Tensor, s: ConvShape): void {
  const want = [s.n, s.k, s.oh, s.ow];
  if (dy.rank !== 4 || dy.shape.some((v, i) => v !== want[i])) {
    throw new Error(`${op}: dy ${fmtShape(dy.shape)} does not match the convolution's output ${fmtShape(want)}`);
  }
  assertFloat(op, dy);
}
