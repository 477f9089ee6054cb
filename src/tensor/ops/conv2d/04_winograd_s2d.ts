// SPDX-License-Identifier: MIT
// Rung 04 for strided convolutions (forward only): space-to-depth moves each stride x stride
// block of pixels into channels, of the input and of the filter
// (src/kernels/wgsl/shape/space_to_depth.wgsl), and the convolution becomes a stride-1 one
// with ceil(KH/stride) taps, which rung 04 (Winograd) runs. AlexNet's conv1 (3x11x11 at
// stride 4) becomes 48x3x3 and then F(4x4, 3x3). Built from differentiable ops: autograd
// takes the gradients back through the Winograd conv and both spaceToDepths.

import { spaceToDepth } from '../shape.js';
import { winogradUnsupported } from './04_winograd.js';
import type { Rung } from './rung.js';
import type { ConvShape } from './shape.js';

/**
 * The stride-1 convolution a strided one becomes, or why it cannot: with block b = stride,
 * x' = spaceToDepth(x, b, padding p) and w' = spaceToDepth(w, b) (taps past KH are zeros),
 * conv(x, w, stride b, padding p) = conv(x', w', stride 1, padding 0), with C·b² input
 * channels, ceil(KH/b) x ceil(KW/b) taps and the same output.
 */
export function s2dShape(s: ConvShape): ConvShape | string {
  if (s.sh !== s.sw || s.sh < 2) return `stride ${s.sh}x${s.sw} (space-to-depth needs equal strides of at least 2)`;
  if (s.dh !== 1 || s.dw !== 1) return `dilation ${s.dh}x${s.dw} (space-to-depth needs dilation 1)`;
  const b = s.sh;
  const kh = Math.ceil(s.kh / b);
  const kw = Math.ceil(s.kw / b);
  return {
    n: s.n, c: s.c * b * b, h: s.oh + kh - 1, w: s.ow + kw - 1, k: s.k, kh, kw, sh: 1, sw: 1,
    ph: 0, pw: 0, dh: 1, dw: 1, groups: s.groups, oh: s.oh, ow: s.ow,
  };
}

/** Why space-to-depth + Winograd cannot run this convolution, or null when it can. */
export function s2dUnsupported(s: ConvShape): string | null {
  const e = s2dShape(s);
  return typeof e === 'string' ? e : winogradUnsupported(e);
}

export const winogradS2d: Rung = {
  forward: {
    wgsl: ['shape/space_to_depth.wgsl', 'conv2d/04_winograd_1_weight.wgsl', 'conv2d/04_winograd_2_input.wgsl',
      'conv2d/03_implicit_gemm.wgsl', 'conv2d/04_winograd_3_output.wgsl'],
    unsupported: s2dUnsupported,
    run: null,
    build(x, w, bias, s, relu, conv) {
      const e = s2dShape(s) as ConvShape; // checked by unsupported() before
      const xs = spaceToDepth(x, s.sh, { padding: [s.ph, s.pw], outSize: [e.h, e.w] });
      const ws = spaceToDepth(w, s.sh, { outSize: [e.kh, e.kw] });
      return conv(xs, ws, bias, { groups: s.groups, relu, version: '04_winograd' });
    },
  },
};
