// SPDX-License-Identifier: MIT
// 2-D convolution: NCHW activations, PyTorch weights [K, C/groups, KH, KW], optional bias [K]
// and fused bias + ReLU, with stride, padding, dilation and groups, and autograd.
//
// Kernel versions (src/kernels/wgsl/conv2d/, reading order in its README.md):
//   forward  01_naive (the oracle), 02_im2col (+ the matmul GEMM), 03_implicit_gemm,
//            04_winograd_* (stride 1: transforms around 03 run as a 1x1 conv),
//            's2d' (a strided conv as a stride-1 one on spaceToDepth of x and w, then 04)
//   dgrad    dgrad_01_gather (the oracle), dgrad_02_implicit, 04_winograd_* (stride 1)
//   wgrad    wgrad_01_naive (the oracle)
// `selectConv2d` picks the forward version and says why (`explainConv2d`). Activations
// larger than one storage binding (a batch-128 conv1 output is 149 MB, lavapipe binds
// 128 MiB) are split over the batch: see `planBatchChunks`.

import { gradTarget } from '../autograd.js';
import { convKey, noteProblem, tunedChoice } from '../autotune.js';
import type { Binding, Device } from '../device.js';
import { fmtShape, record, type Shape, Tensor } from '../tensor.js';
import { add, reluBackward } from './elementwise.js';
import { gemm, GPU_GEMM, type Choice } from './matmul.js';
import { sumAxes } from './reduce.js';
import { spaceToDepth } from './shape.js';
import { assertFloat, assertSameDevice, grid, outOrEmpty } from './util.js';
import { winograd1D, winogradSaving, winogradTileFor, type Winograd1D } from './winograd.js';

export type ConvVersion = 'naive' | 'im2col' | 'implicit' | 'gemm' | 'winograd' | 's2d';
export type DgradVersion = 'naive' | 'implicit' | 'gemm' | 'winograd';
export type WgradVersion = 'naive' | 'splitk' | 'gemm' | 'winograd';
/** Every version (the autotuner tries each one that can run the problem). */
export const ALL_CONV_VERSIONS: readonly ConvVersion[] = ['naive', 'im2col', 'implicit', 'gemm', 'winograd', 's2d'];
export const ALL_DGRAD_VERSIONS: readonly DgradVersion[] = ['naive', 'implicit', 'gemm', 'winograd'];
export const ALL_WGRAD_VERSIONS: readonly WgradVersion[] = ['naive', 'splitk', 'gemm', 'winograd'];
/** The versions that run every convolution ('winograd' runs stride-1, dilation-1 ones: see winogradUnsupported). */
export const CONV_VERSIONS: readonly ConvVersion[] = ['naive', 'im2col', 'implicit', 'gemm'];
export const DGRAD_VERSIONS: readonly DgradVersion[] = ['naive', 'implicit', 'gemm'];
export const WGRAD_VERSIONS: readonly WgradVersion[] = ['naive', 'splitk', 'gemm'];

export const CONV_KERNELS = {
  naive: 'conv2d/01_naive.wgsl',
  im2col: 'conv2d/02_im2col.wgsl',
  biasAct: 'conv2d/bias_act.wgsl',
  implicit: 'conv2d/03_implicit_gemm.wgsl',
  pack: 'conv2d/pack_weight.wgsl',
  dgradImplicit: 'conv2d/dgrad_02_implicit.wgsl',
  packDy: 'conv2d/pack_dy.wgsl',
  wgradSplitK: 'conv2d/wgrad_02_splitk.wgsl',
  wgradReduce: 'conv2d/wgrad_reduce.wgsl',
  dgradNaive: 'conv2d/dgrad_01_gather.wgsl',
  col2im: 'conv2d/dgrad_03_col2im.wgsl',
  wgradNaive: 'conv2d/wgrad_01_naive.wgsl',
  winogradWeight: 'conv2d/04_winograd_weight.wgsl',
  winogradInput: 'conv2d/04_winograd_input.wgsl',
  winogradOutput: 'conv2d/04_winograd_output.wgsl',
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
  return { binding: { buffer: t.buffer, offset: t.byteOffset + s * 4, size: Math.max(4, (start + count - s) * 4) }, rel: start - s };
}

function whole(t: Tensor): Binding {
  return { buffer: t.buffer, offset: t.byteOffset, size: Math.max(4, t.byteLength) };
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
  // 32 invocations per workgroup rather than 64: 3-4% faster on every AlexNet layer once
  // quiet waits stopped Node's polling from taking a core; then 16 rather than 32 for the
  // forward (which Winograd's data gradient shares): its GEMMs have few pixel blocks (128
  // tiles at conv3-5), and 32 invocations of 8 pixels left half of each workgroup idle —
  // conv3-5 forward and data gradient 10-22% faster, the step 4-7% (BENCHMARKS.md)
  forward: { WG: 16, PIX: 8, COV: 8 },
  dgrad: { WG: 32, PIX: 8, COV: 8 },
  wgrad: { WG: 32, TAPS: 8, COV: 8 },
  /** the im2col buffer of one dispatch is kept under this many bytes (and one binding) */
  im2colBytes: 64 * 2 ** 20,
  /** the GPU path ('gemm'): the column buffer of one batch chunk stays under this many bytes */
  gemmColBytes: 1024 * 2 ** 20,
  /** the GPU path's weight gradient aims for at least this many workgroups (split-K slices) */
  gemmWgradWorkgroups: 512,
  /**
   * Let the selector pick Winograd for the weight gradient too (CPU drivers; forward and data
   * gradient always may). On by default: 1.6-2.1x faster on AlexNet's conv2-5 on lavapipe, with
   * the same error against PyTorch as the direct kernels (~1e-5 of the gradient's scale). One
   * difference: a weight-gradient entry that is an exact float32 zero in a direct sum (all its
   * products are zero) comes out as ±1e-11 or so, since the transforms mix taps. Set false to
   * keep exact zeros there (bench: --no-winograd-wgrad).
   */
  winogradWgrad: true,
};

/** A block shape with at most as many channels per invocation as there are channels. */
function fit<T extends { COV: number }>(t: T, channels: number): T {
  return { ...t, COV: Math.max(1, Math.min(t.COV, Math.ceil(channels / 4))) };
}

/** The weight-gradient block: channels fitted, and as few taps per invocation as cover R
 *  in the same number of workgroups (conv1: R = 363 -> 2 blocks of 6 taps x 32 lanes, not 8 x 32). */
function fitWgrad(s: ConvShape): typeof CONV_TUNING.wgrad {
  const t = fit(CONV_TUNING.wgrad, s.k / s.groups);
  const r = (s.c / s.groups) * s.kh * s.kw;
  // few taps (Winograd's 1x1 step on conv2: R = 96): smaller workgroups rather than fewer
  // taps per invocation, which shrinks the register block (conv2 at batch 8: 3 taps x 32
  // lanes 352 ms, 6 taps x 16 lanes 239 ms)
  let wg = t.WG;
  while (wg > 8 && r < (wg * t.TAPS) / 2) wg /= 2;
  const blocks = Math.ceil(r / (wg * t.TAPS));
  return { ...t, WG: wg, TAPS: Math.max(1, Math.ceil(r / (wg * blocks))) };
}

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

/**
 * Picks the forward version for a problem on a device, with the reason: on a GPU adapter
 * the GPU path ('gemm', see gpuGemm) for big problems; otherwise the register-blocked implicit
 * GEMM whenever it has enough blocks to share out, else direct convolution. 02 im2col is
 * never picked (03 does the same GEMM without the buffer; 'gemm' is its GPU form); callers
 * can still force any version. Every version handles every stride, padding, dilation and
 * group count.
 */
export function selectConv2d(s: ConvShape, device?: Device): Choice<ConvVersion> {
  const key = convKey('conv2d', s);
  noteProblem({ op: 'conv2d', key, shape: { ...s } });
  const tuned = tunedChoice(device, key, ALL_CONV_VERSIONS);
  if (tuned) return tuned;
  return ruleConv2d(s, device);
}

/** The fixed rule behind selectConv2d (what it picks without an autotuned entry). */
export function ruleConv2d(s: ConvShape, device?: Device): Choice<ConvVersion> {
  const gpu = gpuGemm(s, device);
  if (gpu) return { version: 'gemm', why: `im2col + tiled GEMM (a GPU adapter): M=${s.k / s.groups} channels x N=${gpu.pixels} pixels x K=${(s.c / s.groups) * s.kh * s.kw} taps${s.groups > 1 ? ` per group` : ''} in 128x128 workgroup-memory tiles` };
  const wino = winogradWorth(s, device);
  if (wino) return { version: 'winograd', why: wino };
  const s2d = s2dWorth(s, device);
  if (s2d) return { version: 's2d', why: s2d };
  const t = fit(CONV_TUNING.forward, s.k / s.groups);
  const blocks = Math.ceil((s.n * s.oh * s.ow) / (t.WG * t.PIX)) * Math.ceil(s.k / s.groups / (4 * t.COV)) * s.groups;
  const outputs = s.n * s.k * s.oh * s.ow;
  if (outputs < 4096 && blocks < 4) {
    return { version: 'naive', why: `direct conv: ${outputs} outputs make only ${blocks} register-blocked workgroup(s) of ${t.WG}x${t.PIX} pixels x ${4 * t.COV} channels; one invocation per output keeps more of the GPU busy` };
  }
  return { version: 'implicit', why: `implicit GEMM: M=${s.n * s.oh * s.ow} pixels x N=${s.k / s.groups} channels x K=${(s.c / s.groups) * s.kh * s.kw} taps${s.groups > 1 ? ` per group (${s.groups} groups)` : ''} in ${blocks} workgroups of ${t.PIX}x${4 * t.COV} register blocks; direct conv would reload every input ${4 * t.COV * t.PIX}x more often` };
}

/** Picks the data-gradient version (register-blocked gather unless the problem is tiny). */
export function selectConv2dBackwardData(s: ConvShape, device?: Device): Choice<DgradVersion> {
  const key = convKey('conv2d.dgrad', s);
  noteProblem({ op: 'conv2d.dgrad', key, shape: { ...s } });
  return tunedChoice(device, key, ALL_DGRAD_VERSIONS) ?? ruleConv2dBackwardData(s, device);
}

/** The fixed rule behind selectConv2dBackwardData. */
export function ruleConv2dBackwardData(s: ConvShape, device?: Device): Choice<DgradVersion> {
  if (gpuGemm(s, device)) return { version: 'gemm', why: 'tiled GEMM Wᵀ·dy then col2im (a GPU adapter)' };
  const e = dgradAsConv(s);
  const wino = e ? winogradWorth(e, device) : null;
  if (wino) return { version: 'winograd', why: `${wino} (dy convolved with the turned filters)` };
  const t = fit(CONV_TUNING.dgrad, s.c / s.groups);
  const blocks = Math.ceil((s.n * s.h * s.w) / (t.WG * t.PIX)) * Math.ceil(s.c / s.groups / (4 * t.COV)) * s.groups;
  if (s.n * s.c * s.h * s.w < 4096 && blocks < 4) return { version: 'naive', why: `gather dgrad: only ${blocks} register-blocked workgroup(s)` };
  return { version: 'implicit', why: `implicit-GEMM dgrad in ${blocks} workgroups${s.sh * s.sw > 1 ? `, split into ${s.sh * s.sw} stride phases so only integral taps are visited` : ''}` };
}

/** Picks the weight-gradient version (split-K unless the problem is tiny). */
export function selectConv2dBackwardWeight(s: ConvShape, device?: Device): Choice<WgradVersion> {
  const key = convKey('conv2d.wgrad', s);
  noteProblem({ op: 'conv2d.wgrad', key, shape: { ...s } });
  return tunedChoice(device, key, ALL_WGRAD_VERSIONS) ?? ruleConv2dBackwardWeight(s, device);
}

/** The fixed rule behind selectConv2dBackwardWeight. */
export function ruleConv2dBackwardWeight(s: ConvShape, device?: Device): Choice<WgradVersion> {
  if (gpuGemm(s, device)) return { version: 'gemm', why: 'im2col + split-K tiled GEMM dy·colᵀ (a GPU adapter)' };
  const wino = CONV_TUNING.winogradWgrad ? winogradWorth(s, device) : null;
  if (wino) return { version: 'winograd', why: `${wino.replace(/^Winograd F\((\d+)x(\d+), (\d+)x(\d+)\)/, 'Winograd F($3x$4, $1x$2)')} (dy's tiles as the filters, the taps as the outputs)` };
  if (s.k * (s.c / s.groups) * s.kh * s.kw < 256 && s.n * s.oh * s.ow < 256) return { version: 'naive', why: 'naive wgrad: a tiny problem' };
  return { version: 'splitk', why: `split-K wgrad: ${planWgrad({ maxBinding: 2 ** 31, alignment: 256 }, s).slices} pixel slices per chunk, reduced in a fixed order` };
}

/**
 * Winograd (04) on a CPU driver: when the convolution is stride 1 / dilation 1 with at most
 * 6x6 taps, the tiles save at least 1.5x the multiplies (edge overhang counted), and there
 * are at least 16 input and 16 output channels per group (the transforms cost about as much
 * per channel as 16 channels of the GEMM). On lavapipe this halves AlexNet's conv2-5 forward
 * and data-gradient time (BENCHMARKS.md). Not chosen on GPU adapters, whose GEMM path was
 * tuned and measured without it (force version: 'winograd' to try). Returns the reason, or null.
 */
function winogradWorth(s: ConvShape, device?: Device): string | null {
  if (!device?.info.isCpu || winogradUnsupported(s)) return null;
  const saving = winogradSaving(s.kh, s.kw, s.oh, s.ow);
  if (saving < 1.5 || s.c / s.groups < 16 || s.k / s.groups < 16) return null;
  const my = winogradTileFor(s.kh);
  const mx = winogradTileFor(s.kw);
  return `Winograd F(${my}x${mx}, ${s.kh}x${s.kw}): ${s.kh * s.kw} multiplies per output and channel pair become ${((my + s.kh - 1) * (mx + s.kw - 1) / (my * mx)).toFixed(2)} ` +
    `(${saving.toFixed(2)}x fewer with the tiles' edge overhang), in a 1x1 register-blocked GEMM per transform point between input and output transforms`;
}

/**
 * The GPU path: on an adapter that is not a CPU driver, problems with enough work for
 * 128x128 tiles (at least 64 of them in the forward GEMM) whose one-image column buffer fits
 * the budget go through im2col + the workgroup-memory GEMM (matmul/06, or 05: GPU_GEMM) for
 * all three passes: 10-20x the implicit kernels on an H100. On lavapipe the register-blocked
 * implicit kernels stay: there the GPU path measured 10-11 GFLOP/s against their 23-27.
 */
function gpuGemm(s: ConvShape, device?: Device): { pixels: number } | null {
  if (!device || device.info.isCpu) return null;
  const colImage = s.c * s.kh * s.kw * s.oh * s.ow * 4;
  if (colImage > Math.min(device.maxBinding, CONV_TUNING.gemmColBytes)) return null;
  const pixels = s.n * s.oh * s.ow;
  const tiles = Math.ceil(s.k / s.groups / 128) * Math.ceil(pixels / 128) * s.groups;
  return tiles >= 64 ? { pixels } : null;
}

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
  d.dispatch(CONV_KERNELS.im2col, [X.binding, whole(col)], convParams(s, nb, X.rel, 0), grid(col.size), { LAYOUT: 1 });
  return col;
}

/** dy of one batch chunk as dyt [groups, nb*OH*OW, K/groups] (pack_dy.wgsl, no padding). */
function packDyExact(dy: Tensor, s: ConvShape, b0: number, nb: number): Tensor {
  const d = dy.device;
  const kg = s.k / s.groups;
  const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
  const dyt = Tensor.empty([s.groups, nb * s.oh * s.ow, kg], 'float32', d);
  d.dispatch(CONV_KERNELS.packDy, [Y.binding, whole(dyt)],
    [{ u: nb }, { u: s.k }, { u: s.oh * s.ow }, { u: s.groups }, { u: kg }, { u: Y.rel }, { u: 0 }, { u: 0 }], grid(dyt.size));
  return dyt;
}

/** One sentence: which forward version runs for this problem and why. */
export function explainConv2d(s: ConvShape, device?: Device): string {
  return selectConv2d(s, device).why;
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

// ---- Winograd (04) ------------------------------------------------------------------------

/** Why Winograd cannot run this convolution, or null when it can (forward). */
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

/**
 * The stride-1 convolution a strided one becomes (conv2d's 's2d'), or why it cannot: with
 * block b = stride, x' = spaceToDepth(x, b, padding p) and w' = spaceToDepth(w, b) (taps past
 * KH are zeros), conv(x, w, stride b, padding p) = conv(x', w', stride 1, padding 0), with
 * C·b² input channels, ceil(KH/b) x ceil(KW/b) taps and the same output.
 */
export function s2dShape(s: ConvShape): ConvShape | string {
  if (s.sh !== s.sw || s.sh < 2) return `stride ${s.sh}x${s.sw} (space-to-depth needs equal strides of at least 2)`;
  if (s.dh !== 1 || s.dw !== 1) return `dilation ${s.dh}x${s.dw} (space-to-depth needs dilation 1)`;
  const b = s.sh;
  const kh = Math.ceil(s.kh / b);
  const kw = Math.ceil(s.kw / b);
  return {
    n: s.n, c: s.c * b * b, h: s.oh + kh - 1, w: s.ow + kw - 1, k: s.k, kh, kw, sh: 1, sw: 1,
    ph: 0, pw: 0, dh: 1, dw: 1, groups: s.groups, oh: s.oh, ow: s.ow,
  };
}

/**
 * 's2d' on a CPU driver: when the strided conv's stride-1 form (s2dShape) is one Winograd
 * takes (winogradWorth), both fit one storage binding, and the multiplies per output drop by
 * at least 1.5x against the direct strided conv — e.g. AlexNet's conv1 (11x11, stride 4, 3
 * channels: 363 taps) becomes 48 channels of 3x3 taps, 432 taps that Winograd F(4x4, 3x3)
 * computes with about 112 multiplies. Returns the reason, or null.
 */
function s2dWorth(s: ConvShape, device?: Device): string | null {
  if (!device?.info.isCpu) return null;
  const e = s2dShape(s);
  if (typeof e === 'string') return null;
  const wino = winogradWorth(e, device);
  if (!wino || winogradUnsupported(e)) return null;
  if (Math.max(e.n * e.c * e.h * e.w, s.n * s.c * s.h * s.w) * 4 > device.maxBinding) return null;
  const direct = (s.c / s.groups) * s.kh * s.kw;
  const viaS2d = (e.c / e.groups) * e.kh * e.kw / winogradSaving(e.kh, e.kw, e.oh, e.ow);
  if (direct / viaS2d < 1.5) return null;
  return `space-to-depth (block ${s.sh}): ${s.c / s.groups}x${s.kh}x${s.kw} taps at stride ${s.sh} become ${e.c / e.groups}x${e.kh}x${e.kw} at stride 1, ` +
    `then ${wino}; ${(direct / viaS2d).toFixed(2)}x fewer multiplies than the direct conv`;
}

/** F(m, r), built once per (m, r): the matrices are the same for every call. */
const winogradCache = new Map<string, Winograd1D>();
function winogradCached(m: number, r: number): Winograd1D {
  let f = winogradCache.get(`${m},${r}`);
  if (!f) winogradCache.set(`${m},${r}`, (f = winograd1D(m, r)));
  return f;
}
/** The forward's F(m, r) for an r-tap dimension (m from winogradTileFor). */
const winogradFor = (r: number): Winograd1D => winogradCached(winogradTileFor(r), r);

/** Two row-major matrices as the 128 floats of a Winograd kernel's `mats` (zero padded),
 *  built once per pair: they are passed with every dispatch. */
const matsCache = new Map<Float64Array, Map<Float64Array, Array<{ f: number }>>>();
function mats(a: Float64Array, b: Float64Array): Array<{ f: number }> {
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

/** 03's block for the 1x1 conv of step 2: the channels fitted, and PIX (8 down to 4) chosen
 *  to waste the fewest pixel slots on few tiles (conv3-5 at batch 8: 128 tile columns). */
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
 * step 0 transforms the filters into 03's packed layout (MODE 1: the data gradient's turned
 * filters), then per batch chunk step 1 transforms the input tiles into V, step 2 runs
 * 03_implicit_gemm as a 1x1 conv with AY*AX*groups groups (one GEMM per transform point),
 * and step 3 transforms the products back into pixels (+ bias, ReLU).
 */
function winogradInto(out: Tensor, inp: Tensor, w: Tensor, bias: Tensor | null, e: ConvShape, relu: boolean, mode: 0 | 1): void {
  const d = inp.device;
  const fy = winogradFor(e.kh);
  const fx = winogradFor(e.kw);
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
  d.dispatch(CONV_KERNELS.winogradWeight, [whole(w), whole(wp)],
    [{ u: kg }, { u: cg }, { u: e.groups }, { u: cols }, { u: wTotal }, { u: 0 }, { u: 0 }, { u: 0 }, ...mats(fy.G, fx.G)],
    grid(wTotal), { ...shape, KH: e.kh, KW: e.kw, MODE: mode });

  const epilogue = bias ? (relu ? 2 : 1) : 0;
  const vImage = xi * e.c * tiles;
  const mImage = xi * e.k * tiles;
  for (const [b0, nb] of planBatchChunks(e.n, [xImage(e) * 4, yImage(e) * 4, vImage * 4, mImage * 4], d.maxBinding, d.alignment)) {
    const X = span(d, inp, b0 * xImage(e), nb * xImage(e));
    const V = Tensor.empty([nb, xi * e.c, th, tw], 'float32', d);
    d.dispatch(CONV_KERNELS.winogradInput, [X.binding, whole(V)],
      [{ u: nb }, { u: e.c }, { u: e.h }, { u: e.w }, { u: th }, { u: tw }, { u: fy.m }, { u: fx.m },
        { i: e.ph }, { i: e.pw }, { u: X.rel }, { u: nb * e.c * tiles }, { u: e.groups }, { u: 0 }, { u: 0 }, { u: 0 }, ...mats(fy.BT, fx.BT)],
      grid(nb * e.c * tiles), { ...shape, IY: fy.alpha, IX: fx.alpha });
    // step 2: M[n, xi*K + k, t] = sum_c U[xi, c, k] V[n, xi*C + c, t], 03 as a 1x1 conv
    const s1: ConvShape = {
      n: nb, c: xi * e.c, h: th, w: tw, k: xi * e.k, kh: 1, kw: 1, sh: 1, sw: 1,
      ph: 0, pw: 0, dh: 1, dw: 1, groups: xi * e.groups, oh: th, ow: tw,
    };
    const t = winogradBlock(nb * tiles, kg);
    const M = Tensor.empty([nb, xi * e.k, th, tw], 'float32', d);
    d.dispatch(CONV_KERNELS.implicit, [whole(V), whole(wp), whole(wp), whole(M)], convParams(s1, nb, 0, 0, cols),
      [Math.ceil((nb * tiles) / (t.WG * t.PIX)), cols / (4 * t.COV), xi * e.groups], { EPILOGUE: 0, ...t });
    V.dispose(); // safe: later work that reuses the buffer is recorded after these reads
    const Y = span(d, out, b0 * yImage(e), nb * yImage(e));
    d.dispatch(CONV_KERNELS.winogradOutput, [whole(M), bias ? whole(bias) : whole(wp), Y.binding],
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
 * Step 1 transforms x's tiles (as the forward does, with F(KH, my)'s Bᵀ) and dy's tiles
 * (the same kernel with G); step 2 is the sum over tiles — the weight gradient of a 1x1
 * conv with AY*AX*groups groups (wgrad_02_splitk); step 3 (04_winograd_output with one
 * "tile" per (k, c)) turns each AY x AX block of sums into the KH x KW taps.
 */
function winogradWgrad(x: Tensor, dy: Tensor, wShape: Shape, s: ConvShape, out?: Tensor): Tensor {
  const d = x.device;
  const fy = winogradCached(s.kh, winogradTileFor(s.kh)); // F(KH, my): KH outputs (taps), my-tap "filter" (dy's tile)
  const fx = winogradCached(s.kw, winogradTileFor(s.kw));
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
    d.dispatch(CONV_KERNELS.winogradInput, [X.binding, whole(X1)],
      [{ u: nb }, { u: s.c }, { u: s.h }, { u: s.w }, { u: th }, { u: tw }, { u: my }, { u: mx },
        { i: s.ph }, { i: s.pw }, { u: X.rel }, { u: nb * s.c * tiles }, { u: s.groups }, { u: 0 }, { u: 0 }, { u: 0 }, ...mats(fy.BT, fx.BT)],
      grid(nb * s.c * tiles), { ...shape, IY: fy.alpha, IX: fx.alpha });
    // dy's tiles straight into the split-K kernel's channel-last layout (no pack_dy pass)
    const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
    const D1 = Tensor.empty([xi * s.groups, nb * tiles, cols], 'float32', d);
    const dTotal = nb * s.groups * cols * tiles;
    d.dispatch(CONV_KERNELS.winogradInput, [Y.binding, whole(D1)],
      [{ u: nb }, { u: s.k }, { u: s.oh }, { u: s.ow }, { u: th }, { u: tw }, { u: my }, { u: mx },
        { i: 0 }, { i: 0 }, { u: Y.rel }, { u: dTotal }, { u: s.groups }, { u: cols }, { u: 0 }, { u: 0 }, ...mats(fy.G, fx.G)],
      grid(dTotal), { ...shape, IY: my, IX: mx, LAYOUT: 1 });
    const part = Tensor.empty([xi * s.k, cg, 1, 1], 'float32', d);
    wgradSplitK(X1, null, D1, chunkOf(nb), part);
    X1.dispose();
    D1.dispose();
    if (P) { const sum2 = add(P, part); P.dispose(); part.dispose(); P = sum2; } else P = part;
  }
  const dw = outOrEmpty('conv2dBackwardWeight', out, wShape, d, [x, dy]);
  const outputs = s.k * cg;
  d.dispatch(CONV_KERNELS.winogradOutput, [whole(P!), whole(P!), whole(dw)],
    [{ u: 1 }, { u: outputs }, { u: s.kh }, { u: s.kw }, { u: 1 }, { u: 1 }, { u: 0 }, { u: 0 },
      { u: 0 }, { u: outputs }, { u: 0 }, { u: 0 }, ...mats(fy.AT, fx.AT)],
    grid(outputs), { ...shape, MY: s.kh, MX: s.kw, EPILOGUE: 0 });
  P!.dispose();
  return dw;
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
    case 'im2col': {
      const colImage = s.c * s.kh * s.kw * s.oh * s.ow;
      const r = (s.c / s.groups) * s.kh * s.kw;
      const kg = s.k / s.groups;
      const q = s.oh * s.ow;
      const limit = Math.min(d.maxBinding, CONV_TUNING.im2colBytes);
      for (const [b0, nb] of planBatchChunks(s.n, [xImage(s) * 4, yImage(s) * 4, colImage * 4], limit, d.alignment)) {
        const X = span(d, x, b0 * xImage(s), nb * xImage(s));
        const col = Tensor.empty([nb, s.c * s.kh * s.kw, q], 'float32', d);
        d.dispatch(CONV_KERNELS.im2col, [X.binding, whole(col)], convParams(s, nb, X.rel, 0), grid(col.size));
        for (let g = 0; g < s.groups; g++) {
          gemm({
            m: kg, n: q, k: r, batch: nb,
            a: w, aOff: g * kg * r, aSm: r, aSk: 1, aSb: 0,
            b: col, bOff: g * r * q, bSk: q, bSn: 1, bSb: s.c * s.kh * s.kw * q,
            c: y, cOff: b0 * yImage(s) + g * kg * q, cSm: q, cSb: yImage(s),
            alpha: 1, accumulate: false, bias: null, relu: false,
          });
        }
        col.dispose(); // safe: later work that reuses the buffer is recorded after these reads
        if (bias) {
          const Y = span(d, y, b0 * yImage(s), nb * yImage(s));
          d.dispatch(CONV_KERNELS.biasAct, [whole(bias), Y.binding], [{ u: nb * yImage(s) }, { u: s.k }, { u: q }, { u: Y.rel }],
            grid(nb * yImage(s)), { EPILOGUE: epilogue });
        }
      }
      return;
    }
    case 'implicit': {
      const t = fit(CONV_TUNING.forward, s.k / s.groups);
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
    case 'winograd':
      winogradInto(y, x, w, bias, s, relu, 0);
      return;
    case 'gemm': {
      // y[n, g*Kg + m, q] = sum_r W_g[m, r] * col[g*R + r, n*Q + q]: one GEMM per group over
      // every pixel of the chunk, bias (+ ReLU) per row, stored NCHW by the folded store
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
  const why = version === 'winograd' ? winogradUnsupported(s) : null;
  if (why) throw new Error(`conv2d: version 'winograd' cannot run ${why}; x ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}`);
  if (version === 's2d') {
    // the stride-1 form, built from differentiable ops: autograd takes the gradients back
    // through the Winograd conv and both spaceToDepths
    const e = s2dShape(s);
    const bad = typeof e === 'string' ? e : winogradUnsupported(e);
    if (bad || typeof e === 'string') throw new Error(`conv2d: version 's2d' cannot run ${bad}; x ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}`);
    const xs = spaceToDepth(x, s.sh, { padding: [s.ph, s.pw], outSize: [e.h, e.w] });
    const ws = spaceToDepth(w, s.sh, { outSize: [e.kh, e.kw] });
    return conv2d(xs, ws, bias, { groups: s.groups, relu, version: 'winograd' });
  }
  const y = Tensor.empty([s.n, s.k, s.oh, s.ow], 'float32', d);
  forwardInto(y, x, w, bias, s, relu, version);
  const inputs = bias ? [x, w, bias] : [x, w];
  const hyper = { stride: [s.sh, s.sw] as [number, number], padding: [s.ph, s.pw] as [number, number], dilation: [s.dh, s.dw] as [number, number], groups: s.groups };
  return record(y, 'conv2d', inputs, (gy) => {
    const g = relu ? reluBackward(gy, y) : gy;
    const dx = x.requiresGrad ? conv2dBackwardData(g, w, x.shape, hyper) : null;
    // a parameter's gradient goes straight into its arena slot when autograd offers one
    const dw = w.requiresGrad ? conv2dBackwardWeight(x, g, w.shape, { ...hyper, out: gradTarget(w) }) : null;
    const out: Array<Tensor | null> = [dx, dw];
    if (bias) out.push(bias.requiresGrad ? sumAxes(g, [0, 2, 3], gradTarget(bias)) : null);
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
  const version = opts.version ?? selectConv2dBackwardData(s, d).version;
  const e = version === 'winograd' ? dgradAsConv(s) : null;
  if (version === 'winograd' && (!e || winogradUnsupported(e))) {
    throw new Error(`conv2dBackwardData: version 'winograd' needs stride 1, dilation 1, a filter of at most 6x6 and padding < the filter size (got stride ${s.sh}x${s.sw}, dilation ${s.dh}x${s.dw}, padding ${s.ph}x${s.pw}, filter ${s.kh}x${s.kw})`);
  }
  const dx = Tensor.empty(xShape, 'float32', d);
  if (e) {
    winogradInto(dx, dy, w, null, e, false, 1);
    return dx;
  }
  if (version === 'naive') {
    for (const [b0, nb] of batchChunks(d, s)) {
      const X = span(d, dx, b0 * xImage(s), nb * xImage(s));
      const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
      d.dispatch(CONV_KERNELS.dgradNaive, [Y.binding, whole(w), X.binding], convParams(s, nb, X.rel, Y.rel), grid(nb * xImage(s)));
    }
    return dx;
  }
  if (version === 'gemm') {
    // dcol[g*R + r, p] = sum_m W_g[m, r] * dy_g[m, p] (a tiled GEMM per group), then col2im
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
      d.dispatch(CONV_KERNELS.col2im, [whole(dcol), X.binding], convParams(s, nb, X.rel, 0), grid(nb * xImage(s)));
      dcol.dispose();
    }
    return dx;
  }
  const t = fit(CONV_TUNING.dgrad, s.c / s.groups);
  const { wp, cols } = packWeight(w, s, 1, 4 * t.COV);
  for (const [b0, nb] of batchChunks(d, s)) {
    const X = span(d, dx, b0 * xImage(s), nb * xImage(s));
    const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
    // one z-slice per (group, stride phase); x covers the largest phase's pixels
    const phasePixels = nb * Math.ceil(s.h / s.sh) * Math.ceil(s.w / s.sw);
    const wg: [number, number, number] = [Math.ceil(phasePixels / (t.WG * t.PIX)), cols / (4 * t.COV), s.groups * s.sh * s.sw];
    d.dispatch(CONV_KERNELS.dgradImplicit, [Y.binding, whole(wp), X.binding], convParams(s, nb, X.rel, Y.rel, cols), wg,
      { ...t, UNIT_STRIDE: s.sh === 1 && s.sw === 1 ? 1 : 0 });
  }
  wp.dispose();
  return dx;
}

/** dw = the gradient of conv2d with respect to its weight, given x and dy. */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, wShape: Shape, opts: ConvBackwardOptions<WgradVersion> & { out?: Tensor } = {}): Tensor {
  const s = convShape(x.shape, wShape, opts);
  checkDy('conv2dBackwardWeight', dy, s);
  const d = assertSameDevice('conv2dBackwardWeight', x, dy);
  if (opts.out) outOrEmpty('conv2dBackwardWeight', opts.out, wShape, d, [x, dy]); // checks it before any dispatch
  const version = opts.version ?? selectConv2dBackwardWeight(s, d).version;
  if (version === 'winograd') {
    const why = winogradUnsupported(s);
    if (why) throw new Error(`conv2dBackwardWeight: version 'winograd' cannot run ${why}; x ${fmtShape(x.shape)}, weight ${fmtShape(wShape)}`);
    return winogradWgrad(x, dy, wShape, s, opts.out);
  }
  const dw = outOrEmpty('conv2dBackwardWeight', opts.out, wShape, d, [x, dy]);
  const count = s.k * (s.c / s.groups) * s.kh * s.kw;
  if (version === 'naive') {
    batchChunks(d, s).forEach(([b0, nb], i) => {
      const X = span(d, x, b0 * xImage(s), nb * xImage(s));
      const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
      d.dispatch(CONV_KERNELS.wgradNaive, [X.binding, Y.binding, whole(dw)], convParams(s, nb, X.rel, Y.rel),
        grid(count), { ACCUMULATE: i > 0 ? 1 : 0 });
    });
    return dw;
  }
  if (version === 'gemm') {
    // part[slice, g*Kg + m, r] = sum over the slice's pixels p of dy_g[m, p] * col[g*R + r, p]
    // (a tiled GEMM per group, split-K over the pixels), then the fixed-order sum of slices
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
      d.dispatch(CONV_KERNELS.wgradReduce, [whole(part), whole(dw)], [{ u: count }, { u: used }, { u: 0 }, { u: 0 }],
        grid(count), { ACCUMULATE: i > 0 ? 1 : 0 });
    });
    part.dispose();
    return dw;
  }
  wgradSplitK(x, dy, null, s, dw);
  return dw;
}

/**
 * The split-K weight gradient into dw: every batch chunk is cut into `slices` pixel slices;
 * each slice writes one partial dw into part[slices, K, R]; wgrad_reduce sums them in slice
 * order (and adds the chunk's sum to dw for the second and later chunks): a fixed order, no
 * atomics. With one slice and one chunk the kernel writes dw itself (no reduce). dy is
 * packed per chunk by pack_dy, unless `packed` already holds it as [groups, N*OH*OW, cols]
 * for a single chunk (Winograd's weight gradient writes its transformed dy that way).
 */
function wgradSplitK(x: Tensor, dy: Tensor | null, packed: Tensor | null, s: ConvShape, dw: Tensor): void {
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
      d.dispatch(CONV_KERNELS.packDy, [Y.binding, whole(dyt)],
        [{ u: nb }, { u: s.k }, { u: s.oh * s.ow }, { u: s.groups }, { u: cols }, { u: Y.rel }, { u: 0 }, { u: 0 }], grid(dyt.size));
    }
    const params = convParams(s, nb, X.rel, plan.slices, cols, 0); // y_off's slot carries the slice count
    const wg: [number, number, number] = [Math.ceil(r / (t.WG * t.TAPS)), cols / (4 * t.COV), s.groups * plan.slices];
    d.dispatch(CONV_KERNELS.wgradSplitK, [X.binding, whole(dyt), whole(part)], params, wg, { ...t });
    if (!packed) dyt.dispose();
    if (!direct) {
      d.dispatch(CONV_KERNELS.wgradReduce, [whole(part), whole(dw)], [{ u: count }, { u: plan.slices }, { u: 0 }, { u: 0 }],
        grid(count), { ACCUMULATE: i > 0 ? 1 : 0 });
    }
  });
  if (!direct) part.dispose();
}

/** The channel columns of pack_dy's output for the split-K weight gradient (Kg rounded up to its block). */
function wgradCols(s: ConvShape): number {
  const t = fitWgrad(s);
  return Math.ceil(s.k / s.groups / (4 * t.COV)) * 4 * t.COV;
}

function checkDy(op: string, dy: Tensor, s: ConvShape): void {
  const want = [s.n, s.k, s.oh, s.ow];
  if (dy.rank !== 4 || dy.shape.some((v, i) => v !== want[i])) {
    throw new Error(`${op}: dy ${fmtShape(dy.shape)} does not match the convolution's output ${fmtShape(want)}`);
  }
  assertFloat(op, dy);
}
