// SPDX-License-Identifier: MIT
// 2-D convolution: NCHW activations, PyTorch weights [K, C/groups, KH, KW], optional bias [K]
// and fused bias + ReLU, with stride, padding, dilation and groups, and autograd.
//
// The ladder (one host file per rung, named like its WGSL files in src/kernels/wgsl/conv2d/,
// reading order in that folder's README.md; the version name is the file stem):
//   01_naive          every pass, one invocation per output value: the formula written out
//   02_im2col         forward: im2col, then the matmul ladder's GEMM
//   03_implicit_gemm  every pass, register-blocked implicit GEMM (the weight gradient split-K)
//   04_winograd       every pass, Winograd F(4x4, 3x3) / F(3x3, 5x5) for stride-1 convs
//   04_winograd_s2d   forward: a strided conv as a stride-1 one on spaceToDepth, then 04
//   05_tiled_gemm     every pass, im2col + the workgroup-memory GEMM (the GPU path)
//   06_winograd_gemm  every pass, 04's transforms around one batched GEMM on matmul 09/08
//                     (operands read as images: what a CPU driver runs)
//   06_winograd_gemm_s2d  forward and weight gradient: 06 reading x through space-to-depth
// versions.ts holds the table from name to passes; select.ts picks a version per problem and
// says why; shape.ts checks shapes; chunks.ts splits a batch whose activations are larger
// than one storage binding. This file is the op: checks, dispatch through the table, autograd.

import { gradTarget } from '../../autograd.js';
import { fmtShape, record, type Shape, Tensor } from '../../tensor.js';
import { reluBackward } from '../elementwise.js';
import { sumAxes } from '../reduce.js';
import { assertFloat, assertSameDevice, outOrEmpty } from '../util.js';
import type { ConvPass } from './rung.js';
import { selectConv2d, selectConv2dBackwardData, selectConv2dBackwardWeight } from './select.js';
import { checkDy, convShape, hyperOf, type ConvHyper, type ConvShape } from './shape.js';
import { passOf, type ConvVersion, type DgradVersion, type WgradVersion } from './versions.js';

export interface Conv2dOptions extends ConvHyper {
  /** fused epilogue: y = max(conv + bias, 0) (needs a bias) */
  relu?: boolean;
  /** force a forward version instead of `selectConv2d` */
  version?: ConvVersion;
}

export interface ConvBackwardOptions<V> extends ConvHyper {
  /** force a version instead of the selector's choice */
  version?: V;
}

/** The rung's pass for `version`, after checking that it can run `s` (before any dispatch). */
function checkedPass<P extends ConvPass>(op: string, version: string, pass: P, s: ConvShape, shapes: string) {
  const impl = passOf(op, version, pass);
  const why = impl.unsupported?.(s);
  if (why) throw new Error(`${op}: version '${version}' cannot run ${why}; ${shapes}`);
  return impl;
}

/**
 * y = conv2d(x, w) [+ bias] [ReLU]. x: [N, C, H, W]; w: [K, C/groups, KH, KW]; bias: [K].
 * Returns [N, K, OH, OW] with OH = floor((H + 2ph - dh(KH-1) - 1) / sh) + 1 (same for OW).
 */
export function conv2d(x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const s = convShape(x.shape, w.shape, opts);
  assertFloat('conv2d', x, w, ...(bias ? [bias] : []));
  const d = assertSameDevice('conv2d', x, w, ...(bias ? [bias] : []));
  if (bias && (bias.rank !== 1 || bias.shape[0] !== s.k)) {
    throw new Error(`conv2d: bias ${fmtShape(bias.shape)} does not match ${s.k} output channels (weight ${fmtShape(w.shape)})`);
  }
  const relu = opts.relu ?? false;
  if (relu && !bias) throw new Error('conv2d: relu: true needs a bias (the fused epilogue is bias + ReLU)');
  const version = opts.version ?? selectConv2d(s, d).version;
  const impl = checkedPass('conv2d', version, 'forward', s, `x ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}`);
  // a forward built from differentiable ops: autograd takes its gradients through them
  if (impl.build) return impl.build(x, w, bias, s, relu, (a, b, c, o) => conv2d(a, b, c, o as Conv2dOptions));
  const y = Tensor.empty([s.n, s.k, s.oh, s.ow], 'float32', d);
  impl.run!(y, x, w, bias, s, relu);
  const inputs = bias ? [x, w, bias] : [x, w];
  const hyper = hyperOf(s);
  return record(y, 'conv2d', inputs, (gy) => {
    const g = relu ? reluBackward(gy, y) : gy;
    const dx = x.requiresGrad ? conv2dBackwardData(g, w, x.shape, hyper) : null;
    // a parameter's gradient goes straight into its arena slot when autograd offers one
    const dw = w.requiresGrad ? conv2dBackwardWeight(x, g, w.shape, { ...hyper, out: gradTarget(w) }) : null;
    const out: Array<Tensor | null> = [dx, dw];
    if (bias) out.push(bias.requiresGrad ? sumAxes(g, [0, 2, 3], gradTarget(bias)) : null);
    if (g !== gy) g.dispose();
    return out;
  });
}

/** dx = the gradient of conv2d with respect to its input, given dy and w. */
export function conv2dBackwardData(dy: Tensor, w: Tensor, xShape: Shape, opts: ConvBackwardOptions<DgradVersion> = {}): Tensor {
  const s = convShape(xShape, w.shape, opts);
  checkDy('conv2dBackwardData', dy, s);
  const d = assertSameDevice('conv2dBackwardData', dy, w);
  const version = opts.version ?? selectConv2dBackwardData(s, d).version;
  const impl = checkedPass('conv2dBackwardData', version, 'dgrad', s, `dy ${fmtShape(dy.shape)}, weight ${fmtShape(w.shape)}`);
  const dx = Tensor.empty(xShape, 'float32', d);
  impl.run(dx, dy, w, s);
  return dx;
}

/** dw = the gradient of conv2d with respect to its weight, given x and dy (written into `out` when given). */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, wShape: Shape, opts: ConvBackwardOptions<WgradVersion> & { out?: Tensor } = {}): Tensor {
  const s = convShape(x.shape, wShape, opts);
  checkDy('conv2dBackwardWeight', dy, s);
  const d = assertSameDevice('conv2dBackwardWeight', x, dy);
  if (opts.out) outOrEmpty('conv2dBackwardWeight', opts.out, wShape, d, [x, dy]); // checks it before any dispatch
  const version = opts.version ?? selectConv2dBackwardWeight(s, d).version;
  const impl = checkedPass('conv2dBackwardWeight', version, 'wgrad', s, `x ${fmtShape(x.shape)}, weight ${fmtShape(wShape)}`);
  const dw = outOrEmpty('conv2dBackwardWeight', opts.out, wShape, d, [x, dy]);
  impl.run(dw, x, dy, s);
  return dw;
}

export { convShape, convFlops, type ConvShape, type ConvHyper } from './shape.js';
export { explainConv2d, ruleConv2d, ruleConv2dBackwardData, ruleConv2dBackwardWeight, selectConv2d, selectConv2dBackwardData, selectConv2dBackwardWeight } from './select.js';
export { CONV_TUNING } from './tuning.js';
export { planBatchChunks } from './chunks.js';
export { planWgrad } from './03_implicit_gemm.js';
export { dgradAsConv, winogradUnsupported, winogradDgradUnsupported } from './04_winograd.js';
export { s2dShape, s2dUnsupported } from './04_winograd_s2d.js';
export {
  ALL_CONV_VERSIONS, ALL_DGRAD_VERSIONS, ALL_WGRAD_VERSIONS, CONV_LADDER, CONV_VERSIONS, conv2dVersions, DGRAD_VERSIONS, WGRAD_VERSIONS,
  type ConvVersion, type ConvVersionInfo, type DgradVersion, type WgradVersion,
} from './versions.js';
export type { ConvPass } from './rung.js';
