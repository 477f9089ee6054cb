// SPDX-License-Identifier: MIT
// Rung 02 — im2col + GEMM (forward only): 02_im2col.wgsl writes every receptive field of a
// batch chunk as a column, one GEMM per group multiplies the filters by the columns, and
// 02_im2col_bias_act.wgsl adds bias (+ ReLU) afterwards. The GEMM is always the same kernel,
// matmul/02_register_blocked.wgsl (IM2COL_GEMM), not whatever the matmul selector would pick
// for the shape: as a rung of the ladder, 01 -> 02 -> 03 then compares one idea at a time
// (02's 4x4 register block with scalar loads runs every layout, and 03 is the same GEMM with
// the column buffer gone and a larger block). Never picked by the selector (03 does the same
// GEMM without the buffer; 05 is its GPU form), kept as the step between them. The column
// buffer of one dispatch stays under CONV_TUNING.im2colBytes.

import { Tensor } from '../../tensor.js';
import { gemm, MATMUL_KERNELS, type MatmulVersion } from '../matmul/index.js';
import { grid } from '../util.js';
import { convParams, planBatchChunks, span, whole, xImage, yImage } from './chunks.js';
import type { Rung } from './rung.js';
import { CONV_TUNING } from './tuning.js';

/** The GEMM rung 02 runs: fixed, so that the rung is the same kernel on every shape and adapter. */
export const IM2COL_GEMM: MatmulVersion = '02_register_blocked';

const KERNELS = {
  im2col: 'conv2d/02_im2col.wgsl',
  gemm: MATMUL_KERNELS[IM2COL_GEMM],
  biasAct: 'conv2d/02_im2col_bias_act.wgsl',
} as const;

export const im2col: Rung = {
  forward: {
    wgsl: [KERNELS.im2col, KERNELS.gemm, KERNELS.biasAct],
    run(y, x, w, bias, s, relu) {
      const d = x.device;
      const colImage = s.c * s.kh * s.kw * s.oh * s.ow;
      const r = (s.c / s.groups) * s.kh * s.kw;
      const kg = s.k / s.groups;
      const q = s.oh * s.ow;
      const limit = Math.min(d.maxBinding, CONV_TUNING.im2colBytes);
      for (const [b0, nb] of planBatchChunks(s.n, [xImage(s) * 4, yImage(s) * 4, colImage * 4], limit, d.alignment)) {
        const X = span(d, x, b0 * xImage(s), nb * xImage(s));
        const col = Tensor.empty([nb, s.c * s.kh * s.kw, q], 'float32', d);
        d.dispatch(KERNELS.im2col, [X.binding, whole(col)], convParams(s, nb, X.rel, 0), grid(col.size));
        // y[n, g*Kg + m, q] = sum_r W_g[m, r] col[n, g*R + r, q]: one batched GEMM per group
        for (let g = 0; g < s.groups; g++) {
          gemm({
            m: kg, n: q, k: r, batch: nb,
            a: w, aOff: g * kg * r, aSm: r, aSk: 1, aSb: 0,
            b: col, bOff: g * r * q, bSk: q, bSn: 1, bSb: s.c * s.kh * s.kw * q,
            c: y, cOff: b0 * yImage(s) + g * kg * q, cSm: q, cSb: yImage(s),
            alpha: 1, accumulate: false, bias: null, relu: false,
          }, IM2COL_GEMM);
        }
        col.dispose(); // safe: later work that reuses the buffer is recorded after these reads
        if (bias) {
          const Y = span(d, y, b0 * yImage(s), nb * yImage(s));
          d.dispatch(KERNELS.biasAct, [whole(bias), Y.binding], [{ u: nb * yImage(s) }, { u: s.k }, { u: q }, { u: Y.rel }],
            grid(nb * yImage(s)), { EPILOGUE: relu ? 2 : 1 });
        }
      }
    },
  },
};
