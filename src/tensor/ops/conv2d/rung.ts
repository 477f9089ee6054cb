// SPDX-License-Identifier: MIT
// The shape of one rung of the conv2d ladder: what a numbered host file exports, and what
// versions.ts's table maps a version name (the file stem, e.g. '03_implicit_gemm') to.

import type { Tensor } from '../../tensor.js';
import type { ConvShape } from './shape.js';

/** The three passes of a convolution. */
export type ConvPass = 'forward' | 'dgrad' | 'wgrad';

/** One pass of one rung. `wgsl`: the kernel files it dispatches, in order (paths under src/kernels/wgsl/). */
export interface PassImpl<Run> {
  run: Run;
  wgsl: readonly string[];
  /** what else runs that `wgsl` does not list (e.g. a GEMM the matmul selector picks) */
  note?: string;
  /** why this rung cannot run the problem, or null (absent: it runs every convolution) */
  unsupported?: (s: ConvShape) => string | null;
}

/** Writes y = conv(x, w) [+ bias] [ReLU] into y (allocated by the caller). */
export type ForwardRun = (y: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, s: ConvShape, relu: boolean) => void;
/** Writes dx (allocated by the caller) from dy and w. */
export type DgradRun = (dx: Tensor, dy: Tensor, w: Tensor, s: ConvShape) => void;
/** Writes dw (allocated by the caller, or a parameter's gradient slot) from x and dy. */
export type WgradRun = (dw: Tensor, x: Tensor, dy: Tensor, s: ConvShape) => void;

/**
 * A forward pass built from differentiable ops (04_winograd_s2d: spaceToDepth, then conv2d
 * with another version): it returns its own output, and autograd takes the gradients back
 * through those ops. `conv` is conv2d itself (passed in, so that no rung imports the index).
 */
export type ForwardBuild = (x: Tensor, w: Tensor, bias: Tensor | null, s: ConvShape, relu: boolean, conv: ConvCall) => Tensor;
export type ConvCall = (x: Tensor, w: Tensor, bias: Tensor | null, opts: { groups: number; relu: boolean; version: string }) => Tensor;

/** A rung: the passes it implements. */
export interface Rung {
  /** `run` writes into a new output; `build` (instead) composes other ops */
  forward?: PassImpl<ForwardRun | null> & { build?: ForwardBuild };
  dgrad?: PassImpl<DgradRun>;
  wgrad?: PassImpl<WgradRun>;
}
