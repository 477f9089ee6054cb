// SPDX-License-Identifier: MIT
// Batch normalisation over the channel axis of [N, C, ...] (BatchNorm2d for NCHW, BatchNorm1d
// for [N, C] or [N, C, L]), with PyTorch's semantics. Kernels: src/kernels/wgsl/batchnorm/.
//
//   y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
//
// training: mean and the biased var over N and the spatial axes; the running stats are
//           updated in place (no graph) with the unbiased var: r = (1 - momentum) r + momentum stat.
// eval:     the running stats (batch stats when none are given).
// relu:     y = max(y, 0) in the same kernels; the gradient is that of the two ops apart
//           (the layer Sequential fuses BatchNorm2d → ReLU into this).

import { gradTarget } from '../autograd.js';
import { fmtShape, record, sizeOf, Tensor } from '../tensor.js';
import { ones, zeros } from './elementwise.js';
import { assertFloat, assertSameDevice, bind, grid, grid1 } from './util.js';

/** workgroup size of the elementwise batch-norm kernels (along a channel's positions) */
const BN_WG = 64;

/**
 * Invocations per channel of the two reductions (stats.wgsl, backward_reduce.wgsl), whose
 * trees in workgroup memory wait at a barrier per level: 256 on a GPU; on a CPU driver one
 * SIMD batch of 8, since there every barrier switches between all the workgroup's batches.
 * Exported so the benchmark can compare sizes.
 */
export const BATCHNORM_TUNING = { reduceWgCpu: 8, reduceWgGpu: 256 };

export interface BatchNormOptions {
  /** true: batch statistics and a running-stat update; false: running statistics */
  training: boolean;
  /** default 0.1 (PyTorch's convention: the weight of the new batch statistic) */
  momentum?: number;
  /** default 1e-5 */
  eps?: number;
  /** apply ReLU to the result in the same kernels (forward and backward); default false */
  relu?: boolean;
}

/**
 * Batch norm of x [N, C, ...]. weight and bias [C] (null: 1 and 0); runningMean and
 * runningVar [C] (null: no running statistics; evaluation then uses batch statistics).
 * Gradients flow to x, weight and bias.
 */
export function batchNorm2d(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormOptions,
): Tensor {
  const op = 'batchNorm2d';
  assertFloat(op, x);
  if (x.rank < 2) throw new Error(`${op}: expected [N, C] or [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [N, C] = x.shape as [number, number];
  const HW = sizeOf(x.shape.slice(2));
  const named: [string, Tensor | null][] = [['weight', weight], ['bias', bias], ['runningMean', runningMean], ['runningVar', runningVar]];
  for (const [name, t] of named) {
    if (!t) continue;
    assertFloat(`${op} ${name}`, t);
    if (t.size !== C || t.rank !== 1) throw new Error(`${op}: ${name} must be [${C}] for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
    assertSameDevice(op, x, t);
  }
  if (!runningMean !== !runningVar) throw new Error(`${op}: give both runningMean and runningVar, or neither`);
  for (const t of [runningMean, runningVar]) {
    if (t?.requiresGrad) throw new Error(`${op}: running statistics must not require grad (they are updated in place)`);
  }
  const { training, momentum = 0.1, eps = 1e-5 } = opts;
  const batchStats = training || !runningMean;
  if (batchStats && N * HW < 2) {
    throw new Error(`${op}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  }
  const d = x.device;
  if (x.byteLength > d.maxBinding) throw new Error(`${op}: ${fmtShape(x.shape)} exceeds one storage binding`);
  const dims = [{ u: N }, { u: C }, { u: HW }, { u: 0 }];
  // the elementwise kernels: invocation c * HW + s loops over the N images (forward.wgsl)
  const positions = grid(C * HW, BN_WG);
  const reduceWg = d.info.isCpu ? BATCHNORM_TUNING.reduceWgCpu : BATCHNORM_TUNING.reduceWgGpu;

  // ---- statistics: mean and invstd per channel, in one [2C] tensor (mean, then invstd) ----
  const stats = Tensor.empty([2 * C], 'float32', d);
  const update = training && runningMean !== null; // training implies batch statistics
  // without running stats the kernel still needs two (unread) buffers: writable bindings
  // may not alias, so they cannot be the stats tensor
  const rm = runningMean ?? Tensor.empty([1], 'float32', d);
  const rv = runningVar ?? Tensor.empty([1], 'float32', d);
  d.dispatch('batchnorm/stats.wgsl', [bind(x), bind(stats), bind(rm), bind(rv)],
    [{ u: N }, { u: C }, { u: HW }, { f: momentum }, { f: eps }, { u: 0 }, { u: 0 }, { u: 0 }],
    grid1(C), { UPDATE: update ? 1 : 0, RUNNING: batchStats ? 0 : 1, WG: reduceWg });
  if (!runningMean) {
    rm.dispose();
    rv.dispose();
  }
  const w = weight ?? ones([C], 'float32', d);
  const b = bias ?? zeros([C], 'float32', d);
  const RELU = opts.relu ? 1 : 0;

  const y = Tensor.empty(x.shape, 'float32', d);
  d.dispatch('batchnorm/forward.wgsl', [bind(x), bind(stats), bind(w), bind(b), bind(y)], dims, positions, { RELU, WG: BN_WG });

  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(y, op, inputs, (dy) => {
    // dbias = sum g, dweight = sum g * xhat (per channel; g is dy, masked by the ReLU when
    // it is fused); straight into the parameters' gradient slots when autograd offers them
    // (two writable ranges of one buffer in one dispatch are allowed; a writable and a
    // read-only binding of it would not be)
    const dw = (weight && gradTarget(weight)) || Tensor.empty([C], 'float32', d);
    const db = (bias && gradTarget(bias)) || Tensor.empty([C], 'float32', d);
    d.dispatch('batchnorm/backward_reduce.wgsl', [bind(x), bind(dy), bind(stats), bind(w), bind(b), bind(dw), bind(db)],
      dims, grid1(C), { RELU, WG: reduceWg });
    // training: dx = w invstd (g - db/M - xhat dw/M); eval: dx = g w invstd
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = Tensor.empty(x.shape, 'float32', d);
      d.dispatch('batchnorm/backward_dx.wgsl',
        [bind(x), bind(dy), bind(stats), bind(w), bind(b), bind(dw), bind(db), bind(dx)],
        dims, positions, { TRAINING: batchStats ? 1 : 0, RELU, WG: BN_WG });
    }
    if (!weight) dw.dispose();
    if (!bias) db.dispose();
    return [dx, ...(weight ? [dw] : []), ...(bias ? [db] : [])];
  });
}
