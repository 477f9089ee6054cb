// SPDX-License-Identifier: MIT
// Local response normalisation across channels (AlexNet, Krizhevsky et al. 2012, section 3.3).
// Kernels: src/kernels/wgsl/lrn/ (forward; the gradient in two passes, or backward.wgsl in one).
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

import type { KernelPath } from '../../kernels/wgsl.generated.js';
import { fmtShape, record, sizeOf, Tensor } from '../tensor.js';
import { alignedRange, batchChunks } from './pool.js';
import { assertFloat, grid } from './util.js';

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

/**
 * The gradient's kernels: 'two-pass' (default: backward_02_terms computes d, d^-beta and the
 * per-element term once, backward_02_sum gathers the terms) or 'one-pass' (backward.wgsl,
 * which recomputes d for every neighbour: about size^2 loads and size + 1 pows per element).
 */
export const LRN_TUNING: { backward: 'two-pass' | 'one-pass' } = { backward: 'two-pass' };

/** Local response normalisation of x [N, C, ...] (usually NCHW) across channels. */
export function localResponseNorm(x: Tensor, opts: LrnOptions = {}): Tensor {
  const op = 'localResponseNorm';
  assertFloat(op, x);
  if (x.rank < 2) throw new Error(`${op}: expected [N, C, ...] (rank >= 2), got ${fmtShape(x.shape)}`);
  const { size = 5, alpha = 1e-4, beta = 0.75, k = 2, alphaScale = 'sum' } = opts;
  if (!Number.isInteger(size) || size < 1) throw new Error(`${op}: size must be a positive integer, got ${size}`);
  if (alphaScale !== 'sum' && alphaScale !== 'average') throw new Error(`${op}: alphaScale must be 'sum' or 'average', got ${String(alphaScale)}`);
  const d = x.device;
  const [N, C] = x.shape as [number, number];
  const HW = sizeOf(x.shape.slice(2));
  const a = alphaScale === 'average' ? alpha / size : alpha;
  const perImage = C * HW;
  // one dispatch per chunk of images that fits a storage binding (one for almost every batch)
  const run = (kernel: KernelPath, ts: Tensor[]) => {
    for (const [n0, nc] of batchChunks(op, d, N, [perImage])) {
      const ranges = ts.map((t) => alignedRange(t, n0 * perImage, nc * perImage));
      d.dispatch(kernel, ranges.map((r) => r.binding),
        [{ u: nc }, { u: C }, { u: HW }, { u: Math.floor(size / 2) }, { u: Math.floor((size - 1) / 2) },
          { f: k }, { f: a }, { f: beta }, { u: ranges[0]!.skip }, { u: 0 }, { u: 0 }, { u: 0 }],
        grid(nc * perImage), kernel === 'lrn/backward.wgsl' ? {} : { C, HW, BEFORE: Math.floor(size / 2), AFTER: Math.floor((size - 1) / 2) });
    }
  };
  const y = Tensor.empty(x.shape, 'float32', d);
  run('lrn/forward.wgsl', [x, y]);
  // dx[c] = dy[c] d[c]^-beta - 2 a beta x[c] sum_{j: c in window(j)} dy[j] x[j] d[j]^(-beta-1)
  return record(y, op, [x], (dy) => {
    const dx = Tensor.empty(x.shape, 'float32', d);
    if (LRN_TUNING.backward === 'one-pass') {
      run('lrn/backward.wgsl', [x, dy, dx]);
    } else {
      const dpow = Tensor.empty(x.shape, 'float32', d);
      const t = Tensor.empty(x.shape, 'float32', d);
      run('lrn/backward_02_terms.wgsl', [x, dy, dpow, t]);
      run('lrn/backward_02_sum.wgsl', [x, dy, dpow, t, dx]);
      dpow.dispose();
      t.dispose();
    }
    return [dx];
  });
}
