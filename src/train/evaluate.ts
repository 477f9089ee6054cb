// SPDX-License-Identifier: MIT
// Keras' evaluate() and predict(): eval mode, no gradients, at most two batches queued on the GPU.

import { axpy_, broadcastTo, keep, mul, noGrad, sigmoid, Tensor, tidy } from '../tensor/index.js';
import { softmax } from '../tensor/ops/softmax.js';
import { asSource, sampleShapeOf, type ArrayData } from './array-dataset.js';
import { compiledOrDefault, lossAndAccuracy, pack2, type LossName } from './compile.js';
import { setTrainMode, type DataSource, type TrainableModel } from './model.js';
import { formatLogs } from './progress.js';

// ---- evaluate and predict --------------------------------------------------------------------

export interface EvaluateOptions {
  batchSize?: number;
  /** Also count a confusion matrix (reads the predicted classes back every batch). */
  confusionMatrix?: boolean;
  /** The loss, when the model was not compiled. */
  loss?: LossName;
  /**
   * Called before each batch is submitted (fit passes its callbacks' onTestBatchBegin). If it
   * throws, evaluate stops there: it waits for the batches already submitted, then rethrows.
   */
  onBatchBegin?: (batch: number) => void | Promise<void>;
}

export interface EvaluateResult {
  loss: number;
  accuracy: number;
  /** Samples evaluated. */
  count: number;
  /** Files skipped by the data source during this pass. */
  skipped: number;
  /** `confusion[trueClass][predictedClass]`, when asked for. */
  confusion?: number[][];
}

/**
 * Keras' `model.evaluate()`: mean loss and accuracy over the data, in eval mode and without
 * gradients. Each batch's loss and accuracy (and, for the confusion matrix, its predictions) are
 * read back while the next batch runs, and batch k+1 is not submitted before batch k-1 has been
 * read: at most two batches are queued on the GPU, so memory does not grow with the data (an
 * unbounded queue held every batch's upload: 2.3 GB for 20,000 images on a CPU driver).
 */
export async function evaluate(model: TrainableModel, data: DataSource | ArrayData, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const c = compiledOrDefault(model, opts.loss);
  const source = asSource(data, 0);
  const sampleShape = sampleShapeOf(source);
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  const batchSize = opts.batchSize ?? 32;
  const wasTraining = model.training;
  setTrainMode(model, false);
  let lossSum = 0;
  let accSum = 0;
  let count = 0;
  const classes = source.classNames?.length ?? 0;
  const confusion = opts.confusionMatrix ? Array.from({ length: Math.max(classes, 2) }, () => new Array<number>(Math.max(classes, 2)).fill(0)) : undefined;
  // the previous batch's readback; each one also waits for the one before it
  let pending: Promise<void> | undefined;
  let step = 0;
  try {
    for await (const batch of source.batches(batchSize, { epoch: 0 })) {
      await opts.onBatchBegin?.(step++);
      const n = batch.n;
      const labels = Int32Array.from(batch.y.subarray(0, n));
      let predicted: Tensor | undefined;
      const metrics = noGrad(() =>
        tidy(() => {
          const x = Tensor.fromArray(batch.x.length === n * sampleSize ? batch.x : batch.x.subarray(0, n * sampleSize), [n, ...sampleShape]);
          const logits = model.forward(x);
          const { loss, acc } = lossAndAccuracy(c, logits, labels);
          if (confusion) predicted = keep(probabilitiesOf(c.loss, logits));
          return pack2(loss, acc);
        }),
      );
      count += n;
      const readMetrics = metrics.data().finally(() => metrics.dispose());
      const p = predicted;
      const readProbs = p?.data().finally(() => p.dispose());
      readMetrics.catch(() => {});
      readProbs?.catch(() => {});
      const previous = pending;
      pending = (async () => {
        await previous;
        const [loss, acc] = await readMetrics;
        lossSum += loss! * n;
        accSum += acc! * n;
        if (readProbs && confusion) {
          const probs = await readProbs;
          const k = probs.length / n;
          for (let i = 0; i < n; i++) {
            const top = argmaxOf(probs.subarray(i * k, (i + 1) * k));
            const truth = labels[i]!;
            if (confusion[truth] && top < confusion[truth]!.length) confusion[truth]![top]! += 1;
          }
        }
      })();
      pending.catch(() => {});
      await previous;
    }
    await pending;
    const skipped = source.takeSkipped?.().length ?? 0;
    return { loss: count ? lossSum / count : NaN, accuracy: count ? accSum / count : NaN, count, skipped, confusion };
  } finally {
    // on an early exit, the batches already submitted finish before the model is touched again
    await pending?.catch(() => {});
    if (wasTraining === true) setTrainMode(model, true);
  }
}

/** Class probabilities from logits: softmax, or `[1 - p, p]` for a single sigmoid logit. */
function probabilitiesOf(loss: LossName, logits: Tensor): Tensor {
  const n = logits.shape[0]!;
  const k = logits.size / n;
  if (loss === 'binary_crossentropy' || k === 1) {
    const p = sigmoid(logits.reshape([n, 1]));
    // [1 - p, p] via (p * [-1, 1] + [1, 0]) with broadcasting
    const sign = Tensor.fromArray(new Float32Array([-1, 1]), [1, 2]);
    const base = Tensor.fromArray(new Float32Array([1, 0]), [1, 2]);
    return axpy_(mul(p, sign), broadcastTo(base, [n, 2]));
  }
  return softmax(logits.reshape([n, k]));
}

function argmaxOf(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

export interface PredictOptions {
  batchSize?: number;
  /** Shape of one sample, when `x` is a Float32Array. */
  sampleShape?: readonly number[];
  loss?: LossName;
}

/**
 * Keras' `model.predict()` for classifiers: class probabilities, one Float32Array per sample.
 * `x` is a `[n, ...]` tensor or a Float32Array of `n` samples of `sampleShape`.
 */
export async function predict(model: TrainableModel, x: Tensor | Float32Array, opts: PredictOptions = {}): Promise<Float32Array[]> {
  const loss = compiledOrDefault(model, opts.loss).loss;
  let data: Float32Array;
  let shape: readonly number[];
  if (x instanceof Tensor) {
    shape = x.shape.slice(1);
    data = await x.data();
  } else {
    if (!opts.sampleShape) throw new Error('predict: pass sampleShape with a Float32Array input');
    shape = opts.sampleShape;
    data = x;
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const total = data.length / size;
  if (!Number.isInteger(total)) throw new Error(`predict: ${data.length} values are not whole samples of [${shape.join(', ')}]`);
  const batchSize = opts.batchSize ?? 32;
  const wasTraining = model.training;
  setTrainMode(model, false);
  const out: Float32Array[] = [];
  try {
    for (let start = 0; start < total; start += batchSize) {
      const n = Math.min(batchSize, total - start);
      const probs = noGrad(() =>
        tidy(() => {
          const xb = Tensor.fromArray(data.subarray(start * size, (start + n) * size), [n, ...shape]);
          return keep(probabilitiesOf(loss, model.forward(xb)));
        }),
      );
      const values = await probs.data().finally(() => probs.dispose());
      const k = values.length / n;
      for (let i = 0; i < n; i++) out.push(values.slice(i * k, (i + 1) * k));
    }
  } finally {
    if (wasTraining === true) setTrainMode(model, true);
  }
  return out;
}

/** `loss: 0.6931 - accuracy: 0.5000` for an evaluate() result (CLI, logs). */
export function formatEvaluation(r: Pick<EvaluateResult, 'loss' | 'accuracy'>): string {
  return formatLogs({ loss: r.loss, accuracy: r.accuracy });
}
