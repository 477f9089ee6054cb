// SPDX-License-Identifier: MIT
// Gradient clipping by the global L2 norm (PyTorch's clip_grad_norm_), entirely on the GPU:
// norm = sqrt(Σ_params Σ g²), then every gradient is scaled in place by
// min(1, maxNorm / (norm + 1e-6)) by a kernel that reads the norm from its buffer.

import { add, keep, noGrad, sqrt, square, sum, tidy, type Tensor } from '../tensor/index.js';
import { flatChunks, grid, range } from '../tensor/ops/util.js';

/** Clips the gradients of `params` in place; returns the norm before clipping (a scalar tensor). */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): Tensor {
  const grads = [...params].map((p) => p.grad).filter((g): g is Tensor => !!g && !g.isDisposed);
  if (grads.length === 0) throw new Error('clipGradNorm: no parameter has a gradient');
  const norm = tidy(() => noGrad(() => {
    let total: Tensor | null = null;
    for (const g of grads) {
      const s = sum(square(g));
      total = total ? add(total, s) : s;
    }
    return sqrt(total!);
  }));
  const d = norm.device;
  for (const g of grads) {
    for (const [s, n] of flatChunks(d, g.size)) {
      d.dispatch('optim/clip_scale.wgsl', [range(norm, 0, 1), range(g, s, n)],
        [{ u: n }, { f: maxNorm }, { u: 0 }, { u: 0 }], grid(n));
    }
  }
  return keep(norm);
}
