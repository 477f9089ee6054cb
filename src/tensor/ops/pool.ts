// SPDX-License-Identifier: MIT
// Pooling over NCHW images: max, average and adaptive average, each with a gather-style
// backward (no atomics: one invocation per input element, or for max pooling one per block of
// SH x SW of them). Kernels: src/kernels/wgsl/pool/.
//
// Legend: N batch, C channels, H W input size, OH OW output size, KH KW window,
// SH SW stride, PH PW padding. Every kernel sees the image as [planes = N*C, H, W].

import type { KernelPath } from '../../kernels/wgsl.generated.js';
import { fmtShape, gradState, record, Tensor } from '../tensor.js';
import type { Binding, Device } from '../device.js';
import { assertFloat, grid } from './util.js';

export interface PoolOptions {
  kernelSize: number | readonly [number, number];
  /** default: kernelSize */
  stride?: number | readonly [number, number];
  /** zeros (avg) or -inf (max) on each side; at most half the window, as in PyTorch */
  padding?: number | readonly [number, number];
}

export interface AvgPoolOptions extends PoolOptions {
  /** count padded zeros in the divisor (PyTorch's default, true) */
  countIncludePad?: boolean;
}

/** Sizes of one image plane and its windows; with the chunk's plane count and offsets they
 *  make the 16-word uniform block of every pool kernel (see pool/*.wgsl). */
interface PoolGeometry {
  H: number;
  W: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
}

function packPool(g: PoolGeometry, planes: number, xOff: number, yOff: number): { u: number }[] {
  return [planes, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, xOff, yOff, 0, 0, 0].map((u) => ({ u }));
}

// ---- batches larger than one storage binding ---------------------------------------------

/**
 * Elements [start, start + count) of t as a binding that begins at the aligned offset at or
 * before `start`; `skip` elements lead from there to `start` (the kernel adds it).
 */
export function alignedRange(t: Tensor, start: number, count: number): { binding: Binding; skip: number } {
  const skip = start % (t.device.alignment / 4);
  return { binding: { buffer: t.buffer, offset: t.byteOffset + (start - skip) * 4, size: Math.max(4, (skip + count) * 4) }, skip };
}

/**
 * Splits a batch of N samples into runs [n0, count] so that every tensor of the op
 * (`perSample` elements per sample each) fits one storage binding, alignment slack included.
 * One run for every batch that fits (almost all).
 */
export function* batchChunks(op: string, d: Device, N: number, perSample: number[]): Generator<[n0: number, count: number]> {
  const biggest = Math.max(...perSample);
  const per = Math.floor((Math.floor(d.maxBinding / 4) - d.alignment / 4) / biggest);
  if (per < 1) throw new Error(`${op}: one sample of ${biggest} elements exceeds one storage binding (${d.maxBinding} bytes)`);
  for (let n0 = 0; n0 < N; n0 += per) yield [n0, Math.min(per, N - n0)];
}

/**
 * Records a pool kernel over the batch, a chunk of images at a time when the tensors exceed
 * one binding. `bindings` lists the kernel's buffers in order, each through `xb` (an
 * input-shaped tensor) or `yb` (output-shaped); one invocation per element of `per`'s shape,
 * or per block of SH x SW input elements ('blocks', max_backward_blocked.wgsl).
 */
function dispatchPool(
  d: Device, op: string, kernel: KernelPath, g: PoolGeometry, N: number, C: number, per: 'x' | 'y' | 'blocks',
  bindings: (xb: (t: Tensor) => Binding, yb: (t: Tensor) => Binding) => Binding[],
  constants: Record<string, number> = {},
): void {
  const xPer = C * g.H * g.W;
  const yPer = C * g.OH * g.OW;
  const invocations = { x: xPer, y: yPer, blocks: C * Math.ceil((g.H + g.PH) / g.SH) * Math.ceil((g.W + g.PW) / g.SW) }[per];
  for (const [n0, nc] of batchChunks(op, d, N, [xPer, yPer])) {
    let xOff = 0;
    let yOff = 0;
    const xb = (t: Tensor) => {
      const r = alignedRange(t, n0 * xPer, nc * xPer);
      xOff = r.skip;
      return r.binding;
    };
    const yb = (t: Tensor) => {
      const r = alignedRange(t, n0 * yPer, nc * yPer);
      yOff = r.skip;
      return r.binding;
    };
    const b = bindings(xb, yb);
    d.dispatch(kernel, b, packPool(g, nc * C, xOff, yOff), grid(nc * invocations), constants);
  }
}

// ---- geometry and argument checks -------------------------------------------------------

function pair(op: string, what: string, v: number | readonly [number, number]): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${op}: ${what} must be non-negative integers, got ${JSON.stringify(v)}`);
  return p;
}

function assertImage(op: string, x: Tensor): void {
  assertFloat(op, x);
  if (x.rank !== 4) throw new Error(`${op}: expected an NCHW tensor of rank 4, got ${fmtShape(x.shape)}`);
}

/** Output geometry of a fixed-window pool, with PyTorch's checks, before any dispatch. */
function poolGeometry(op: string, x: Tensor, opts: PoolOptions): PoolGeometry {
  assertImage(op, x);
  const [, , H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = pair(op, 'kernelSize', opts.kernelSize);
  const [SH, SW] = pair(op, 'stride', opts.stride ?? opts.kernelSize);
  const [PH, PW] = pair(op, 'padding', opts.padding ?? 0);
  const desc = `kernelSize [${KH}, ${KW}], stride [${SH}, ${SW}], padding [${PH}, ${PW}]`;
  if (KH < 1 || KW < 1 || SH < 1 || SW < 1) throw new Error(`${op}: kernelSize and stride must be >= 1 (${desc})`);
  if (2 * PH > KH || 2 * PW > KW) {
    throw new Error(`${op}: padding should be at most half of the kernel size (${desc})`);
  }
  if (H + 2 * PH < KH || W + 2 * PW < KW) {
    throw new Error(`${op}: window larger than the padded input: input ${fmtShape(x.shape)}, ${desc}`);
  }
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  return { H, W, OH, OW, KH, KW, SH, SW, PH, PW };
}

// ---- max ---------------------------------------------------------------------------------

/**
 * Max pooling (PyTorch `max_pool2d`, ceil_mode false): padding counts as -inf, the first
 * maximum in the window wins ties. The forward saves the winner's index per output
 * (int32) and the backward adds dY only where an input was its window's winner.
 */
export function maxPool2d(x: Tensor, opts: PoolOptions): Tensor {
  const g = poolGeometry('maxPool2d', x, opts);
  const [N, C] = x.shape as [number, number];
  const d = x.device;
  const y = Tensor.empty([N, C, g.OH, g.OW], 'float32', d);
  const arg = Tensor.empty([N, C, g.OH, g.OW], 'int32', d);
  // the geometry as pipeline constants (see max_forward.wgsl and max_backward.wgsl)
  const geometry = { H: g.H, W: g.W, OH: g.OH, OW: g.OW, KH: g.KH, KW: g.KW, SH: g.SH, SW: g.SW, PH: g.PH, PW: g.PW };
  dispatchPool(d, 'maxPool2d', 'pool/max_forward.wgsl', g, N, C, 'y', (xb, yb) => [xb(x), yb(y), yb(arg)], geometry);
  if (!(gradState.enabled && x.requiresGrad)) {
    arg.dispose();
    return y;
  }
  // dx[i] = sum of dy over the windows whose saved argmax is i. `arg` lives in the caller's
  // tidy scope (like every saved tensor) and is freed early once the backward has used it.
  return record(y, 'maxPool2d', [x], (dy) => {
    const dx = Tensor.empty(x.shape, 'float32', d);
    // a block of SH x SW elements per invocation shares its windows' loads, up to 16 elements
    // (its accumulators' private array); larger strides take one invocation per element
    if (g.SH * g.SW <= 16) {
      const windows = { NY: Math.ceil(g.KH / g.SH), NX: Math.ceil(g.KW / g.SW) };
      dispatchPool(d, 'maxPool2d', 'pool/max_backward_blocked.wgsl', g, N, C, 'blocks', (xb, yb) => [yb(dy), yb(arg), xb(dx)], { ...geometry, ...windows });
    } else {
      dispatchPool(d, 'maxPool2d', 'pool/max_backward.wgsl', g, N, C, 'x', (xb, yb) => [yb(dy), yb(arg), xb(dx)], geometry);
    }
    arg.dispose();
    return [dx];
  });
}

// ---- average -----------------------------------------------------------------------------

function avgPoolRaw(op: string, x: Tensor, g: PoolGeometry, constants: { ADAPTIVE: number; COUNT_PAD: number }): Tensor {
  const [N, C] = x.shape as [number, number];
  const d = x.device;
  const y = Tensor.empty([N, C, g.OH, g.OW], 'float32', d);
  dispatchPool(d, op, 'pool/avg_forward.wgsl', g, N, C, 'y', (xb, yb) => [xb(x), yb(y)], constants);
  // dx[i] = sum over windows w containing i of dy[w] / divisor(w)
  return record(y, op, [x], (dy) => {
    const dx = Tensor.empty(x.shape, 'float32', d);
    dispatchPool(d, op, 'pool/avg_backward.wgsl', g, N, C, 'x', (xb, yb) => [yb(dy), xb(dx)], constants);
    return [dx];
  });
}

/**
 * Average pooling (PyTorch `avg_pool2d`, ceil_mode false). Padded positions add zero; with
 * countIncludePad (default) they still count in the divisor.
 */
export function avgPool2d(x: Tensor, opts: AvgPoolOptions): Tensor {
  const g = poolGeometry('avgPool2d', x, opts);
  const countPad = opts.countIncludePad ?? true;
  return avgPoolRaw('avgPool2d', x, g, { ADAPTIVE: 0, COUNT_PAD: countPad ? 1 : 0 });
}

/**
 * Adaptive average pooling to [OH, OW] with PyTorch's bins: rows floor(i*H/OH) to
 * ceil((i+1)*H/OH) (bins overlap when H is not a multiple of OH; OH > H upsamples).
 * Returns a view of x (no kernel) when it already has the output size.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number, number]): Tensor {
  assertImage('adaptiveAvgPool2d', x);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [OH, OW] = pair('adaptiveAvgPool2d', 'outputSize', outputSize);
  if (OH < 1 || OW < 1) throw new Error(`adaptiveAvgPool2d: output size must be >= 1, got [${OH}, ${OW}]`);
  if (H < 1 || W < 1) throw new Error(`adaptiveAvgPool2d: empty input ${fmtShape(x.shape)}`);
  if (OH === H && OW === W) return x.reshape(x.shape); // every bin is one element: identity
  const g: PoolGeometry = { H, W, OH, OW, KH: 0, KW: 0, SH: 1, SW: 1, PH: 0, PW: 0 };
  return avgPoolRaw('adaptiveAvgPool2d', x, g, { ADAPTIVE: 1, COUNT_PAD: 1 });
}
