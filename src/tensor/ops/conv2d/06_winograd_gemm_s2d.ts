// SPDX-License-Identifier: MIT
// Rung 06 for strided convolutions: space-to-depth, as in 04_winograd_s2d.ts, then rung 06
// (Winograd with one batched GEMM) on the stride-1 convolution it becomes. AlexNet's conv1
// (3x11x11 at stride 4) becomes 48x3x3 and then F(4x4, 3x3).
//
// Changed from 04_winograd_s2d: x' = spaceToDepth(x) is never written. The input transform
// reads x through the space-to-depth mapping (04_winograd_2_input.wgsl, "S > 1"), so a pass
// that wrote and re-read every input value is gone; only the small filter goes through
// shape/space_to_depth.wgsl. The weight gradient is a pass of its own here (04_winograd_s2d
// leaves it to autograd): rung 06's, on the same mapping, into the stride-1 convolution's
// filter shape, then space_to_depth.wgsl's MODE 1 turns it back into [K, C, KH, KW].

import { Tensor } from '../../tensor.js';
import { spaceToDepthInto, type S2dGeometry } from '../shape.js';
import { winogradGemmInto, winogradGemmUnsupported, winogradGemmWgrad } from './06_winograd_gemm.js';
import { s2dShape } from './04_winograd_s2d.js';
import type { Rung } from './rung.js';
import type { ConvShape } from './shape.js';

/** Why space-to-depth + rung 06 cannot run this convolution, or null when it can. */
export function s2dGemmUnsupported(s: ConvShape): string | null {
  const e = s2dShape(s);
  return typeof e === 'string' ? e : winogradGemmUnsupported(e);
}

/** The filter's space-to-depth: w [K, Cg, KH, KW] and w' [K, Cg·b², ceil(KH/b), ceil(KW/b)], no padding. */
function filterGeometry(s: ConvShape, e: ConvShape): S2dGeometry {
  return { c: s.c / s.groups, h: s.kh, w: s.kw, block: s.sh, ph: 0, pw: 0, oh: e.kh, ow: e.kw };
}

const filterShape = (e: ConvShape) => [e.k, e.c / e.groups, e.kh, e.kw];

const KERNELS = ['shape/space_to_depth.wgsl', 'conv2d/04_winograd_1_weight.wgsl', 'conv2d/04_winograd_2_input.wgsl',
  'matmul/09_subgroup_broadcast.wgsl', 'conv2d/04_winograd_3_output.wgsl'];
const NOTE = 'matmul/08_image_operands.wgsl instead of 09 where subgroups are not 8 invocations wide';

export const winogradGemmS2d: Rung = {
  forward: {
    wgsl: KERNELS,
    note: NOTE,
    unsupported: s2dGemmUnsupported,
    run(y, x, w, bias, s, relu) {
      const e = s2dShape(s) as ConvShape; // checked by unsupported() before
      const ws = Tensor.empty(filterShape(e), 'float32', w.device);
      spaceToDepthInto(0, w, ws, filterGeometry(s, e));
      winogradGemmInto(y, x, ws, bias, e, relu, 0, s);
      ws.dispose(); // safe: later work that reuses the buffer is recorded after these reads
    },
  },
  wgrad: {
    wgsl: ['conv2d/04_winograd_2_input.wgsl', 'matmul/09_subgroup_broadcast.wgsl', 'conv2d/04_winograd_3_output.wgsl', 'shape/space_to_depth.wgsl'],
    note: NOTE,
    unsupported: s2dGemmUnsupported, // the forward's conditions: x''s channels per group are also the GEMM's N
    run(dw, x, dy, s) {
      const e = s2dShape(s) as ConvShape;
      const dws = Tensor.empty(filterShape(e), 'float32', dw.device);
      winogradGemmWgrad(dws, x, dy, e, s);
      spaceToDepthInto(1, dws, dw, filterGeometry(s, e));
      dws.dispose();
    },
  },
};
