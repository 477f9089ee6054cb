// SPDX-License-Identifier: MIT
// What every conv2d host file shares: the kernels' uniform block, bindings of a batch
// chunk, and the split of a batch into chunks that fit one storage binding (a batch-128
// conv1 output is 149 MB; lavapipe binds at most 128 MiB).

import type { Binding, Device } from '../../device.js';
import type { Tensor } from '../../tensor.js';
import type { ConvShape } from './shape.js';

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
export function span(d: Device, t: Tensor, start: number, count: number): { binding: Binding; rel: number } {
  const alignElems = d.alignment / 4;
  const s = Math.floor(start / alignElems) * alignElems;
  return { binding: { buffer: t.buffer, offset: t.byteOffset + s * 4, size: Math.max(4, (start + count - s) * 4) }, rel: start - s };
}

/** A binding of all of t. */
export function whole(t: Tensor): Binding {
  return { buffer: t.buffer, offset: t.byteOffset, size: Math.max(4, t.byteLength) };
}

/** The uniform block of the kernels that take a convolution's sizes: 01_naive*, 02_im2col, 03_implicit_gemm*, 05_tiled_gemm_col2im (see 01_naive.wgsl). */
export function convParams(s: ConvShape, n: number, xOff: number, yOff: number, extra0 = 0, extra1 = 0) {
  return [
    { u: n }, { u: s.c }, { u: s.h }, { u: s.w },
    { u: s.k }, { u: s.oh }, { u: s.ow }, { u: s.groups },
    { u: s.kh }, { u: s.kw }, { u: s.sh }, { u: s.sw },
    { i: s.ph }, { i: s.pw }, { u: s.dh }, { u: s.dw },
    { u: xOff }, { u: yOff }, { u: extra0 }, { u: extra1 },
  ];
}

/** Values of one image of the input and of the output. */
export const xImage = (s: ConvShape) => s.c * s.h * s.w;
export const yImage = (s: ConvShape) => s.k * s.oh * s.ow;

/** Batch chunks whose input and output each fit one binding. */
export function batchChunks(d: Device, s: ConvShape): Array<[number, number]> {
  return planBatchChunks(s.n, [xImage(s) * 4, yImage(s) * 4], d.maxBinding, d.alignment);
}
