// SPDX-License-Identifier: MIT
// Local response normalisation across channels (AlexNet, Krizhevsky et al. 2012, section 3.3).
// Kernels: src/kernels/wgsl/lrn/.
//
//   b[c] = a[c] / (k + alpha' * sum_{c' in window(c)} a[c']^2)^beta
//
// with window(c) = c - floor(size/2) .. c + floor((size-1)/2), clipped to the channels.
// alpha' = alpha for alphaScale 'sum' (the paper's formula) and alpha / size for 'average'
// (PyTorch's nn.LocalResponseNorm). The same layer in the three conventions:
//   paper:      k = 2, n = 5, alpha = 1e-4, beta = 0.75 (sum)
//   PyTorch:    nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2)  (alpha / 5 = 1e-4)
//   TensorFlow: tf.nn.local_response_normalization(depth_radius=2, bias=2, alpha=1e-4, beta=0.75)
// Even sizes follow PyTorch: one more channel before c than after.

import { fmtShape, record, sizeOf, Tensor } from '../tensor.js';
import { assertFloat, bind, grid } from './util.js';

export interface LrnOptions {
  /** channels in the window (default 5) */
  size?: number;
  /** default 1e-4 */
  alpha?: number;
  /** default 0.75 */
  beta?: number;
  /** default 2 */
  k?: number;
  /** 'sum' (default): alpha multiplies the sum of squares (paper, TF); 'average': alpha / size (PyTorch) */
  alphaScale?: 'sum' | 'average';
}

/** Local response normalisation of x [N, C, ...] (usually NCHW) across channels. */
export function localResponseNorm(x: Tensor, opts: LrnOptions = {}): Tensor {
  const op = 'localResponseNorm';
  assertFloat(op, x);
  if (x.rank < 2) throw new Error(`${op}: expected [N, C, ...] (rank >= 2), got ${fmtShape(x.shape)}`);
  const { size = 5, alpha = 1e-4, beta = 0.75, k = 2, alphaScale = 'sum' } = opts;
  if (!Number.isInteger(size) || size < 1) throw new Error(`${op}: size must be a positive integer, got ${size}`);
  if (alphaScale !== 'sum' && alphaScale !== 'average') throw new Error(`${op}: alphaScale must be 'sum' or 'average', got ${String(alphaScale)}`);
  const d = x.device;
  if (x.byteLength > d.maxBinding) throw new Error(`${op}: ${fmtShape(x.shape)} exceeds one storage binding`);
  const [N, C] = x.shape as [number, number];
  const HW = sizeOf(x.shape.slice(2));
  const a = alphaScale === 'average' ? alpha / size : alpha;
  const params = [{ u: N }, { u: C }, { u: HW }, { u: Math.floor(size / 2) },
    { u: Math.floor((size - 1) / 2) }, { f: k }, { f: a }, { f: beta }];
  const y = Tensor.empty(x.shape, 'float32', d);
  d.dispatch('lrn/forward.wgsl', [bind(x), bind(y)], params, grid(y.size));
  // dx[c] = dy[c] d[c]^-beta - 2 a beta x[c] sum_{j: c in window(j)} dy[j] x[j] d[j]^(-beta-1)
  return record(y, op, [x], (dy) => {
    const dx = Tensor.empty(x.shape, 'float32', d);
    d.dispatch('lrn/backward.wgsl', [bind(x), bind(dy), bind(dx)], params, grid(dx.size));
    return [dx];
  });
}
