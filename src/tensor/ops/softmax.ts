// SPDX-License-Identifier: MIT
// softmax and log_softmax along an axis, and the fused losses: softmax cross-entropy (with
// label smoothing) and sigmoid binary cross-entropy, whose kernels write the loss AND its
// gradient in one pass; plus accuracy. Kernels: src/kernels/wgsl/softmax/.

import { fmtShape, gradState, noGrad, record, sizeOf, Tensor } from '../tensor.js';
import { mul } from './elementwise.js';
import { mean } from './reduce.js';
import { assertFloat, assertSameDevice, bind, grid, grid1, normAxis, sameShape } from './util.js';

// ---- softmax, logSoftmax -------------------------------------------------------------------

/** x viewed as [outer, R, inner] around `axis`: the uniform block of softmax/*.wgsl. */
function rows(op: string, x: Tensor, axis: number): { u: number }[] {
  assertFloat(op, x);
  if (x.rank === 0) throw new Error(`${op}: expected a tensor of rank >= 1, got a scalar`);
  const a = normAxis(op, axis, x.rank);
  if (x.shape[a] === 0) throw new Error(`${op}: axis ${axis} of ${fmtShape(x.shape)} is empty`);
  if (x.byteLength > x.device.maxBinding) throw new Error(`${op}: ${fmtShape(x.shape)} exceeds one storage binding`);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  return [{ u: outer }, { u: x.shape[a]! }, { u: inner }, { u: 0 }];
}

function softmaxOp(op: string, log: boolean, x: Tensor, axis: number): Tensor {
  const params = rows(op, x, axis);
  const nRows = params[0]!.u * params[2]!.u;
  const d = x.device;
  const y = Tensor.empty(x.shape, 'float32', d);
  d.dispatch('softmax/softmax.wgsl', [bind(x), bind(y)], params, grid1(nRows), { LOG: log ? 1 : 0 });
  // softmax: dx = y * (dy - sum(dy * y));  log_softmax: dx = dy - exp(y) * sum(dy)
  return record(y, op, [x], (dy) => {
    const dx = Tensor.empty(x.shape, 'float32', d);
    d.dispatch('softmax/softmax_backward.wgsl', [bind(y), bind(dy), bind(dx)], params, grid1(nRows), { LOG: log ? 1 : 0 });
    return [dx];
  });
}

/** exp(x) / sum(exp(x)) along `axis` (default: the last), with the max subtracted first. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('softmax', false, x, axis);
}

/** x - logsumexp(x) along `axis` (default: the last), numerically stable. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('logSoftmax', true, x, axis);
}

// ---- softmax cross-entropy -----------------------------------------------------------------

export interface CrossEntropyOptions {
  /** eps in [0, 1]: the target becomes (1 - eps) * target + eps / C, as in PyTorch */
  labelSmoothing?: number;
}

/**
 * Mean softmax cross-entropy of logits [N, C] against int32 labels [N] or float32 target
 * probabilities [N, C] (PyTorch `F.cross_entropy`, reduction 'mean', with
 * `label_smoothing`). Returns a scalar. The kernel writes dL/dlogits = (softmax - q) / N in
 * the same pass; the backward only scales it by the incoming gradient. No gradient flows to
 * the target. Labels are not read back to the host (that would stall the GPU queue): a
 * label outside [0, C) makes the loss NaN, and nothing is read out of bounds.
 */
export function softmaxCrossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'softmaxCrossEntropy';
  assertFloat(op, logits);
  if (logits.rank !== 2) throw new Error(`${op}: logits must be [N, C], got ${fmtShape(logits.shape)}`);
  const [N, C] = logits.shape as [number, number];
  const soft = target.dtype === 'float32';
  if (soft) {
    if (!sameShape(target.shape, logits.shape)) {
      throw new Error(`${op}: float32 targets must have the logits' shape ${fmtShape(logits.shape)}, got ${fmtShape(target.shape)}`);
    }
  } else {
    if (target.dtype !== 'int32') throw new Error(`${op}: labels must be int32 (or float32 probabilities), got ${target.dtype}`);
    if (target.rank !== 1 || target.shape[0] !== N) {
      throw new Error(`${op}: expected ${N} labels [${N}] for logits ${fmtShape(logits.shape)}, got ${fmtShape(target.shape)}`);
    }
  }
  if (N === 0 || C === 0) throw new Error(`${op}: empty logits ${fmtShape(logits.shape)}`);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  const d = assertSameDevice(op, logits, target);
  if (logits.byteLength > d.maxBinding) throw new Error(`${op}: logits ${fmtShape(logits.shape)} exceed one storage binding`);

  const rowLoss = Tensor.empty([N], 'float32', d);
  const dlogits = Tensor.empty([N, C], 'float32', d);
  d.dispatch('softmax/cross_entropy.wgsl', [bind(logits), bind(target), bind(rowLoss), bind(dlogits)],
    [{ u: N }, { u: C }, { f: eps }, { f: 1 / N }, { f: NaN }, { u: 0 }, { u: 0 }, { u: 0 }],
    grid1(N), { SOFT: soft ? 1 : 0 });
  const loss = noGrad(() => mean(rowLoss));
  rowLoss.dispose();
  if (!(gradState.enabled && logits.requiresGrad)) {
    dlogits.dispose();
    return loss;
  }
  // dlogits = g * (softmax - q) / N, the second half computed by the forward kernel
  return record(loss, op, [logits, target], (g) => [mul(dlogits, g), null]);
}

// ---- sigmoid binary cross-entropy ----------------------------------------------------------

/**
 * Mean binary cross-entropy on logits (PyTorch `binary_cross_entropy_with_logits`):
 * max(x, 0) - x t + log(1 + e^-|x|), for logits [N] or [N, 1] and float targets of the same
 * size. The gradient (sigmoid(x) - t) / n comes from the same kernel. No gradient to t.
 */
export function sigmoidBinaryCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const op = 'sigmoidBinaryCrossEntropy';
  assertFloat(op, logits, targets);
  const okShape = (t: Tensor) => t.rank === 1 || (t.rank === 2 && t.shape[1] === 1);
  if (!okShape(logits) || !okShape(targets) || logits.shape[0] !== targets.shape[0]) {
    throw new Error(`${op}: expected logits and targets of shape [N] or [N, 1] with the same N, ` +
      `got ${fmtShape(logits.shape)} and ${fmtShape(targets.shape)}`);
  }
  const n = logits.size;
  if (n === 0) throw new Error(`${op}: empty logits ${fmtShape(logits.shape)}`);
  const d = assertSameDevice(op, logits, targets);
  const elemLoss = Tensor.empty([n], 'float32', d);
  const dlogits = Tensor.empty(logits.shape, 'float32', d);
  d.dispatch('softmax/bce_with_logits.wgsl', [bind(logits), bind(targets), bind(elemLoss), bind(dlogits)],
    [{ u: n }, { f: 1 / n }, { u: 0 }, { u: 0 }], grid(n));
  const loss = noGrad(() => mean(elemLoss));
  elemLoss.dispose();
  if (!(gradState.enabled && logits.requiresGrad)) {
    dlogits.dispose();
    return loss;
  }
  // dlogits = g * (sigmoid(x) - t) / n
  return record(loss, op, [logits, targets], (g) => [mul(dlogits, g), null]);
}

// ---- accuracy ------------------------------------------------------------------------------

/** Fraction of rows of logits [N, C] whose argmax (first on ties) equals the int32 label. Scalar, no gradient. */
export function accuracy(logits: Tensor, labels: Tensor): Tensor {
  const op = 'accuracy';
  assertFloat(op, logits);
  if (logits.rank !== 2) throw new Error(`${op}: logits must be [N, C], got ${fmtShape(logits.shape)}`);
  const [N, C] = logits.shape as [number, number];
  if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== N) {
    throw new Error(`${op}: expected int32 labels [${N}] for logits ${fmtShape(logits.shape)}, got ${labels.dtype} ${fmtShape(labels.shape)}`);
  }
  if (N === 0 || C === 0) throw new Error(`${op}: empty logits ${fmtShape(logits.shape)}`);
  const d = assertSameDevice(op, logits, labels);
  const out = Tensor.empty([], 'float32', d);
  d.dispatch('softmax/accuracy.wgsl', [bind(logits), bind(labels), bind(out)], [{ u: N }, { u: C }, { u: 0 }, { u: 0 }], [1]);
  return out;
}
