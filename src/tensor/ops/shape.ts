// SPDX-License-Identifier: MIT
// Layout ops that move data: permute, transpose, spaceToDepth. (reshape is a view:
// Tensor.reshape.) Kernels: src/kernels/wgsl/shape/permute.wgsl, space_to_depth.wgsl.

import { gradTarget } from '../autograd.js';
import { fmtShape, record, sizeOf, Tensor } from '../tensor.js';
import { bind, grid, normAxis, pack8 } from './util.js';

/** out = x with its axes reordered: out.shape[i] = x.shape[perm[i]]. A copy. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const r = x.rank;
  const p = perm.map((a) => normAxis('permute', a, r));
  if (p.length !== r || new Set(p).size !== r) {
    throw new Error(`permute: ${JSON.stringify(perm)} is not a permutation of the axes of ${fmtShape(x.shape)}`);
  }
  if (r > 8) throw new Error(`permute: rank ${r} > 8 is not supported`);
  if (x.byteLength > x.device.maxBinding) throw new Error(`permute: ${fmtShape(x.shape)} exceeds one storage binding`);
  const outShape = p.map((a) => x.shape[a]!);
  const inStrides = x.strides;
  const out = Tensor.empty(outShape, x.dtype, x.device);
  x.device.dispatch('shape/permute.wgsl', [bind(x), bind(out)],
    [{ u: out.size }, { u: r }, { u: 0 }, { u: 0 }, ...pack8(outShape, r), ...pack8(p.map((a) => inStrides[a]!), r)],
    grid(out.size));
  const inverse = new Array<number>(r);
  p.forEach((a, i) => (inverse[a] = i));
  return record(out, 'permute', [x], (g) => [permute(g, inverse)]);
}

/** Swaps two axes (the last two by default). A copy. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.rank < 2) throw new Error(`transpose: needs rank >= 2, got ${fmtShape(x.shape)}`);
  const a = normAxis('transpose', dim0, x.rank);
  const b = normAxis('transpose', dim1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

export interface SpaceToDepthOptions {
  /** zeros added before the first row / column: a number or [top, left] (default 0) */
  padding?: number | [number, number];
  /** output rows and columns (default: enough for every input pixel, ceil((H + ph) / s)) */
  outSize?: [number, number];
}

/**
 * out[b, (c·s + dy)·s + dx, u, v] = x[b, c, u·s + dy − ph, v·s + dx − pw] (0 outside x):
 * every s×s block of pixels becomes s² channels. x: [N, C, H, W] → [N, C·s², OH, OW]. With
 * the same op applied to a filter (no padding), a stride-s convolution becomes a stride-1 one
 * (conv2d's 's2d' version). Rows and columns past OH/OW are dropped (their gradient is 0).
 */
export function spaceToDepth(x: Tensor, block: number, opts: SpaceToDepthOptions = {}): Tensor {
  if (x.rank !== 4) throw new Error(`spaceToDepth: the input must be NCHW (rank 4), got ${fmtShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new Error(`spaceToDepth: expected float32, got ${x.dtype} tensor ${fmtShape(x.shape)}`);
  if (!Number.isInteger(block) || block < 1) throw new Error(`spaceToDepth: block must be a positive integer, got ${block} (input ${fmtShape(x.shape)})`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [ph, pw] = typeof opts.padding === 'number' ? [opts.padding, opts.padding] : opts.padding ?? [0, 0];
  if (![ph, pw].every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`spaceToDepth: padding must be integers >= 0, got ${ph}, ${pw} (input ${fmtShape(x.shape)})`);
  const [oh, ow] = opts.outSize ?? [Math.ceil((h + ph) / block), Math.ceil((w + pw) / block)];
  if (![oh, ow].every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`spaceToDepth: outSize must be positive integers, got ${oh}, ${ow} (input ${fmtShape(x.shape)})`);
  const outShape = [n, c * block * block, oh, ow];
  // before anything is allocated or dispatched
  for (const sh of [x.shape, outShape]) {
    if (sizeOf(sh) * 4 > x.device.maxBinding) throw new Error(`spaceToDepth: ${fmtShape(sh)} exceeds one storage binding`);
  }
  const out = Tensor.empty(outShape, 'float32', x.device);
  const geometry: S2dGeometry = { c, h, w, block, ph, pw, oh, ow };
  spaceToDepthInto(0, x, out, geometry);
  return record(out, 'spaceToDepth', [x], (g) => {
    // every element is written (a gather), so an offered arena slot can take it directly
    const dx = gradTarget(x) ?? Tensor.empty(x.shape, 'float32', x.device);
    spaceToDepthInto(1, g, dx, geometry);
    return [dx];
  });
}

/** spaceToDepth's sizes: x's channels and pixels, the block, the padding and the output's pixels. */
export interface S2dGeometry { c: number; h: number; w: number; block: number; ph: number; pw: number; oh: number; ow: number }

/**
 * space_to_depth.wgsl without a graph (shapes are the caller's to check): mode 0 writes
 * dst = spaceToDepth(src) ([N, C·s², OH, OW]); mode 1 writes dst ([N, C, H, W]) from src, the
 * gradient of such an output (spaceToDepth's backward). Every element of dst is written once.
 */
export function spaceToDepthInto(mode: 0 | 1, src: Tensor, dst: Tensor, g: S2dGeometry): void {
  src.device.dispatch('shape/space_to_depth.wgsl', [bind(src), bind(dst)],
    [{ u: dst.size }, { u: g.c }, { u: g.h }, { u: g.w }, { u: g.block }, { u: g.ph }, { u: g.pw }, { u: g.oh }, { u: g.ow }, { u: 0 }, { u: 0 }, { u: 0 }],
    grid(dst.size), { MODE: mode });
}
