// SPDX-License-Identifier: MIT
// Keras' compile(): the optimizer, loss and metrics a model trains with, and the loss/accuracy
// of one batch as fit and evaluate compute it.

import { equal, greater, keep, mean, noGrad, Tensor, zeros } from '../tensor/index.js';
import { accuracy as softmaxAccuracy, sigmoidBinaryCrossEntropy, softmaxCrossEntropy } from '../tensor/ops/softmax.js';
import { majorLabels, mixedTargets, type MixedBatch } from '../data/mix.js';
import type { OptimizerLike, TrainableModel } from './model.js';

// ---- compile -----------------------------------------------------------------------------------

export type LossName = 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'binary_crossentropy';
export const LOSSES: readonly LossName[] = ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'binary_crossentropy'];

export interface CompileOptions {
  optimizer: OptimizerLike;
  /**
   * With integer class labels (what the data sources yield) `categorical_crossentropy` is the
   * same as `sparse_categorical_crossentropy`. `binary_crossentropy` expects one output logit
   * per sample (`[n, 1]`) and labels 0/1.
   */
  loss?: LossName;
  metrics?: readonly string[];
  /** Label smoothing for the categorical losses. Default 0. */
  labelSmoothing?: number;
}

export interface Compiled {
  optimizer: OptimizerLike;
  loss: LossName;
  metrics: readonly string[];
  labelSmoothing: number;
}

const compiledModels = new WeakMap<object, Compiled>();

/** Keras' `model.compile()`: attaches the optimizer, loss and metrics that `fit()`/`evaluate()` use. */
export function compile(model: TrainableModel, opts: CompileOptions): Compiled {
  const loss = opts.loss ?? 'sparse_categorical_crossentropy';
  if (!LOSSES.includes(loss)) throw new Error(`compile: unknown loss '${String(loss)}'; expected one of ${LOSSES.join(', ')}`);
  for (const m of opts.metrics ?? []) {
    if (m !== 'accuracy' && m !== 'acc') throw new Error(`compile: unknown metric '${m}'; supported: accuracy`);
  }
  if (!opts.optimizer || typeof opts.optimizer.step !== 'function') throw new Error('compile: an optimizer is required');
  const compiled: Compiled = {
    optimizer: opts.optimizer,
    loss,
    metrics: [...(opts.metrics ?? ['accuracy'])].map((m) => (m === 'acc' ? 'accuracy' : m)),
    labelSmoothing: opts.labelSmoothing ?? 0,
  };
  compiledModels.set(model, compiled);
  return compiled;
}

/** The options given to `compile()` for this model (throws when it was not compiled). */
export function compiledOf(model: TrainableModel, who = 'fit'): Compiled {
  const c = compiledModels.get(model);
  if (!c) throw new Error(`${who}: the model is not compiled; call compile(model, { optimizer, loss, metrics }) first`);
  return c;
}

/**
 * The model's loss (scalar) and accuracy (scalar fraction) for one uploaded batch. With `mix`
 * (a mixup or CutMix batch, src/data/mix.ts) the targets are λ·onehot(y) + (1-λ)·onehot(partner)
 * and the accuracy counts the label with the larger weight.
 */
export function lossAndAccuracy(
  c: Pick<Compiled, 'loss' | 'labelSmoothing'>,
  logits: Tensor,
  y: Int32Array,
  mix?: Pick<MixedBatch, 'partner' | 'lam'>,
): { loss: Tensor; acc: Tensor } {
  const n = y.length;
  if (c.loss === 'binary_crossentropy') {
    const flat = logits.reshape([n, logits.size / n]);
    if (flat.shape[1] !== 1) throw new Error(`binary_crossentropy: the model must output one logit per sample, got shape [${logits.shape.join(', ')}]`);
    const labels = Tensor.fromArray(Float32Array.from(y), [n, 1]);
    const soft = mix ? Tensor.fromArray(Float32Array.from(y, (v, i) => mix.lam * v + (1 - mix.lam) * mix.partner[i]!), [n, 1]) : labels;
    const loss = sigmoidBinaryCrossEntropy(flat, soft);
    const truth = mix ? Tensor.fromArray(Float32Array.from(majorLabels(y, mix, n)), [n, 1]) : labels;
    const acc = noGrad(() => mean(equal(greater(flat, zeros([1, 1])), truth)));
    return { loss, acc };
  }
  if (!mix) {
    const labels = Tensor.fromArray(y, [n], 'int32');
    const loss = softmaxCrossEntropy(logits, labels, { labelSmoothing: c.labelSmoothing });
    const acc = noGrad(() => softmaxAccuracy(logits, labels));
    return { loss, acc };
  }
  const classes = logits.size / n;
  const targets = Tensor.fromArray(mixedTargets(y, mix, n, classes), [n, classes]);
  const loss = softmaxCrossEntropy(logits.reshape([n, classes]), targets, { labelSmoothing: c.labelSmoothing });
  const major = Tensor.fromArray(majorLabels(y, mix, n), [n], 'int32');
  const acc = noGrad(() => softmaxAccuracy(logits, major));
  return { loss, acc };
}

/** Packs two scalars into one 2-float tensor (one readback instead of two). Not tracked by tidy. */
export function pack2(a: Tensor, b: Tensor): Tensor {
  const out = keep(Tensor.empty([2]));
  const d = out.device;
  d.copy(a.buffer, a.byteOffset, out.buffer, out.byteOffset, 4);
  d.copy(b.buffer, b.byteOffset, out.buffer, out.byteOffset + 4, 4);
  return out;
}

/** The compiled options, or the loss given (for evaluate on a model that was never compiled). */
export function compiledOrDefault(model: TrainableModel, loss: LossName | undefined): Pick<Compiled, 'loss' | 'labelSmoothing'> {
  return compiledModels.get(model) ?? { loss: loss ?? 'sparse_categorical_crossentropy', labelSmoothing: 0 };
}
