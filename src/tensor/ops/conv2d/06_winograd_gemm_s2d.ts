// SPDX-License-Identifier: MIT
// Rung 06 for strided convolutions (forward only): space-to-depth, as in 04_winograd_s2d.ts,
// then rung 06 (Winograd with one batched GEMM) on the stride-1 convolution it becomes.
// AlexNet's conv1 (3x11x11 at stride 4) becomes 48x3x3 and then F(4x4, 3x3).

import { spaceToDepth } from '../shape.js';
import { winogradGemmUnsupported } from './06_winograd_gemm.js';
import { s2dShape } from './04_winograd_s2d.js';
import type { Rung } from './rung.js';
import type { ConvShape } from './shape.js';

/** Why space-to-depth + rung 06 cannot run this convolution, or null when it can. */
export function s2dGemmUnsupported(s: ConvShape): string | null {
  const e = s2dShape(s);
  return typeof e === 'string' ? e : winogradGemmUnsupported(e);
}

export const winogradGemmS2d: Rung = {
  forward: {
    wgsl: ['shape/space_to_depth.wgsl', 'conv2d/04_winograd_1_weight.wgsl', 'conv2d/04_winograd_2_input.wgsl',
      'matmul/09_subgroup_broadcast.wgsl', 'conv2d/04_winograd_3_output.wgsl'],
    note: 'matmul/08_image_operands.wgsl instead of 09 where subgroups are not 8 invocations wide',
    unsupported: s2dGemmUnsupported,
    run: null,
    build(x, w, bias, s, relu, conv) {
      const e = s2dShape(s) as ConvShape; // checked by unsupported() before
      const xs = spaceToDepth(x, s.sh, { padding: [s.ph, s.pw], outSize: [e.h, e.w] });
      const ws = spaceToDepth(w, s.sh, { outSize: [e.kh, e.kw] });
      return conv(xs, ws, bias, { groups: s.groups, relu, version: '06_winograd_gemm' });
    },
  },
};
