// SPDX-License-Identifier: MIT
// Pooling over NCHW images: max, average and adaptive average, each with a gather-style
// backward (one invocation per input element, no atomics). Kernels: src/kernels/wgsl/pool/.
//
// Legend: N batch, C channels, H W input size, OH OW output size, KH KW window,
// SH SW stride, PH PW padding. Every kernel sees the image as [planes = N*C, H, W].

import { fmtShape, gradState, record, Tensor } from '../tensor.js';
import { assertFloat, bind, grid } from './util.js';

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

/** The uniform block shared by every pool kernel (12 words, see pool/*.wgsl). */
interface PoolGeometry {
  planes: number;
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

function packPool(g: PoolGeometry): { u: number }[] {
  return [g.planes, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, 0].map((u) => ({ u }));
}

function pair(op: string, what: string, v: number | readonly [number, number]): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${op}: ${what} must be non-negative integers, got ${JSON.stringify(v)}`);
  return p;
}

function assertImage(op: string, x: Tensor): void {
  assertFloat(op, x);
  if (x.rank !== 4) throw new Error(`${op}: expected an NCHW tensor of rank 4, got ${fmtShape(x.shape)}`);
  if (x.byteLength > x.device.maxBinding) {
    throw new Error(`${op}: input ${fmtShape(x.shape)} exceeds one storage binding (${x.device.maxBinding} bytes); split the batch`);
  }
}

/** Output geometry of a fixed-window pool, with PyTorch's checks, before any dispatch. */
function poolGeometry(op: string, x: Tensor, opts: PoolOptions): PoolGeometry {
  assertImage(op, x);
  const [N, C, H, W] = x.shape as [number, number, number, number];
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
  return { planes: N * C, H, W, OH, OW, KH, KW, SH, SW, PH, PW };
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
  d.dispatch('pool/max_forward.wgsl', [bind(x), bind(y), bind(arg)], packPool(g), grid(y.size));
  if (!(gradState.enabled && x.requiresGrad)) {
    arg.dispose();
    return y;
  }
  // dx[i] = sum of dy over the windows whose saved argmax is i. `arg` lives in the caller's
  // tidy scope (like every saved tensor) and is freed early once the backward has used it.
  return record(y, 'maxPool2d', [x], (dy) => {
    const dx = Tensor.empty(x.shape, 'float32', d);
    d.dispatch('pool/max_backward.wgsl', [bind(dy), bind(arg), bind(dx)], packPool(g), grid(dx.size));
    arg.dispose();
    return [dx];
  });
}

// ---- average -----------------------------------------------------------------------------

function avgPoolRaw(op: string, x: Tensor, g: PoolGeometry, constants: { ADAPTIVE: number; COUNT_PAD: number }): Tensor {
  const [N, C] = x.shape as [number, number];
  const d = x.device;
  const y = Tensor.empty([N, C, g.OH, g.OW], 'float32', d);
  d.dispatch('pool/avg_forward.wgsl', [bind(x), bind(y)], packPool(g), grid(y.size), constants);
  // dx[i] = sum over windows w containing i of dy[w] / divisor(w)
  return record(y, op, [x], (dy) => {
    const dx = Tensor.empty(x.shape, 'float32', d);
    d.dispatch('pool/avg_backward.wgsl', [bind(dy), bind(dx)], packPool(g), grid(dx.size), constants);
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
  const g: PoolGeometry = { planes: N * C, H, W, OH, OW, KH: 0, KW: 0, SH: 1, SW: 1, PH: 0, PW: 0 };
  return avgPoolRaw('adaptiveAvgPool2d', x, g, { ADAPTIVE: 1, COUNT_PAD: 1 });
}
