// SPDX-License-Identifier: MIT
// Layout ops that move data: permute, transpose. (reshape is a view: Tensor.reshape.)
// Kernel: src/kernels/wgsl/shape/permute.wgsl.

import { fmtShape, record, Tensor } from '../tensor.js';
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
