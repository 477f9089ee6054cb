// SPDX-License-Identifier: MIT
// Block shapes and budgets of the conv2d kernels (override constants and buffer limits), and
// how a block shape is fitted to a problem. The defaults are the measured best on lavapipe
// (BENCHMARKS.md); the benchmark can try others.

import type { ConvShape } from './shape.js';

/**
 * Block shapes of the register-blocked kernels (override constants): WG invocations per
 * workgroup, PIX pixels and COV vec4s of channels per invocation (TAPS: filter taps per
 * invocation of the weight gradient).
 */
export const CONV_TUNING = {
  // 32 invocations per workgroup rather than 64: 3-4% faster on every AlexNet layer once
  // quiet waits stopped Node's polling from taking a core; then 16 rather than 32 for the
  // forward (which Winograd's data gradient shares): its GEMMs have few pixel blocks (128
  // tiles at conv3-5), and 32 invocations of 8 pixels left half of each workgroup idle —
  // conv3-5 forward and data gradient 10-22% faster, the step 4-7% (BENCHMARKS.md)
  forward: { WG: 16, PIX: 8, COV: 8 },
  dgrad: { WG: 32, PIX: 8, COV: 8 },
  wgrad: { WG: 32, TAPS: 8, COV: 8 },
  /** the im2col buffer of one dispatch (02_im2col) is kept under this many bytes (and one binding) */
  im2colBytes: 64 * 2 ** 20,
  /** the GPU path (05_tiled_gemm): the column buffer of one batch chunk stays under this many bytes */
  gemmColBytes: 1024 * 2 ** 20,
  /** the GPU path's weight gradient aims for at least this many workgroups (split-K slices) */
  gemmWgradWorkgroups: 512,
  /**
   * Let the selector pick Winograd for the weight gradient too (CPU drivers; forward and data
   * gradient always may). On by default: 1.6-2.1x faster on AlexNet's conv2-5 on lavapipe,
   * with the same error against PyTorch as the direct kernels (~1e-5 of the gradient's scale).
   * One difference: a weight-gradient entry that is an exact float32 zero in a direct sum
   * (all its products are zero) comes out as ±1e-11 or so, since the transforms mix taps.
   * Set false to keep exact zeros there (bench: --no-winograd-wgrad).
   */
  winogradWgrad: true,
};

/** A block shape with at most as many channels per invocation as there are channels. */
export function fit<T extends { COV: number }>(t: T, channels: number): T {
  return { ...t, COV: Math.max(1, Math.min(t.COV, Math.ceil(channels / 4))) };
}

/** The weight-gradient block: channels fitted, and as few taps per invocation as cover R
 *  in the same number of workgroups (conv1: R = 363 -> 2 blocks of 6 taps x 32 lanes, not 8 x 32). */
export function fitWgrad(s: ConvShape): typeof CONV_TUNING.wgrad {
  const t = fit(CONV_TUNING.wgrad, s.k / s.groups);
  const r = (s.c / s.groups) * s.kh * s.kw;
  // few taps (Winograd's 1x1 step on conv2: R = 96): smaller workgroups rather than fewer
  // taps per invocation, which shrinks the register block (conv2 at batch 8: 3 taps x 32
  // lanes 352 ms, 6 taps x 16 lanes 239 ms)
  let wg = t.WG;
  while (wg > 8 && r < (wg * t.TAPS) / 2) wg /= 2;
  const blocks = Math.ceil(r / (wg * t.TAPS));
  return { ...t, WG: wg, TAPS: Math.max(1, Math.ceil(r / (wg * blocks))) };
}
