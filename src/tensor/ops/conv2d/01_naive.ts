// SPDX-License-Identifier: MIT
// Rung 01 — direct: one invocation per output value of each pass, the formula written out
// (src/kernels/wgsl/conv2d/01_naive*.wgsl). Every rung, this one too, is tested against the
// float64 oracle of src/tensor/reference/. They run every convolution.

import { grid } from '../util.js';
import { batchChunks, convParams, span, whole, xImage, yImage } from './chunks.js';
import type { Rung } from './rung.js';

const KERNELS = {
  forward: 'conv2d/01_naive.wgsl',
  dgrad: 'conv2d/01_naive_dgrad.wgsl',
  wgrad: 'conv2d/01_naive_wgrad.wgsl',
} as const;

export const naive: Rung = {
  forward: {
    wgsl: [KERNELS.forward],
    // y[n, co, oy, ox] = bias[co] + sum over (ci, ky, kx) of x · w, one invocation per output
    run(y, x, w, bias, s, relu) {
      const d = x.device;
      const epilogue = bias ? (relu ? 2 : 1) : 0;
      for (const [b0, nb] of batchChunks(d, s)) {
        const X = span(d, x, b0 * xImage(s), nb * xImage(s));
        const Y = span(d, y, b0 * yImage(s), nb * yImage(s));
        d.dispatch(KERNELS.forward, [X.binding, whole(w), whole(bias ?? w), Y.binding], convParams(s, nb, X.rel, Y.rel),
          grid(nb * yImage(s)), { EPILOGUE: epilogue });
      }
    },
  },
  dgrad: {
    wgsl: [KERNELS.dgrad],
    // one invocation per input value gathers every tap whose output position is integral
    run(dx, dy, w, s) {
      const d = dy.device;
      for (const [b0, nb] of batchChunks(d, s)) {
        const X = span(d, dx, b0 * xImage(s), nb * xImage(s));
        const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
        d.dispatch(KERNELS.dgrad, [Y.binding, whole(w), X.binding], convParams(s, nb, X.rel, Y.rel), grid(nb * xImage(s)));
      }
    },
  },
  wgrad: {
    wgsl: [KERNELS.wgrad],
    // one invocation per weight sums over the batch and the pixels; later batch chunks add
    run(dw, x, dy, s) {
      const d = x.device;
      const count = s.k * (s.c / s.groups) * s.kh * s.kw;
      batchChunks(d, s).forEach(([b0, nb], i) => {
        const X = span(d, x, b0 * xImage(s), nb * xImage(s));
        const Y = span(d, dy, b0 * yImage(s), nb * yImage(s));
        d.dispatch(KERNELS.wgrad, [X.binding, Y.binding, whole(dw)], convParams(s, nb, X.rel, Y.rel),
          grid(count), { ACCUMULATE: i > 0 ? 1 : 0 });
      });
    },
  },
};
