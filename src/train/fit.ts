// SPDX-License-Identifier: MIT
// Keras-style training: `compile(model, { optimizer, loss, metrics })`, then `fit()`,
// `evaluate()` and `predict()`. Browser-safe: no Node imports. Files (checkpoints) are written
// through an injected saver; output goes through an injected `write`.
//
// One training step: upload the batch, then inside one synchronous `tidy`: zero the gradients,
// forward, loss, backward, `optimizer.step()`, and copy the batch's loss and accuracy into a
// small 2-float tensor that outlives the scope. Its readback is started at once but awaited
// only after the NEXT step has been recorded and submitted, so the GPU always has queued work
// while the CPU waits, and the CPU reads the metrics once per step (one step late).

import {
  axpy_,
  broadcastTo,
  equal,
  greater,
  keep,
  manualSeed,
  mean,
  mul,
  noGrad,
  sigmoid,
  Tensor,
  tidy,
  zeros,
} from '../tensor/index.js';
import { accuracy as softmaxAccuracy, sigmoidBinaryCrossEntropy, softmax, softmaxCrossEntropy } from '../tensor/ops/softmax.js';
import { Callback, CallbackList, type Logs, type TrainerHandle } from './callbacks.js';
import { History } from './history.js';
import { mixSeed, mulberry32 } from '../tensor/rng.js';
import { epochHeader, formatLogs, ProgressBar } from './progress.js';

// ---- the structural types fit works with ------------------------------------------------------

/** A named tensor collection as `stateDict()`/`namedParameters()` may return it. */
export type NamedTensors = Map<string, Tensor> | Record<string, Tensor> | Iterable<[string, Tensor]>;

/** What `fit()` needs of a model; `Module` from src/layers satisfies it. */
export interface TrainableModel {
  forward(x: Tensor): Tensor;
  parameters(): Tensor[] | Iterable<Tensor>;
  namedParameters?(): NamedTensors;
  stateDict?(): NamedTensors;
  train?(mode?: boolean): unknown;
  eval?(): unknown;
  training?: boolean;
}

/** What `fit()` needs of an optimizer; `SGD`, `Adam`, `AdamW` from src/optim satisfy it. */
export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
  lr: number;
}

/** One batch: `x` is `[n, ...sampleShape]` row-major, `y` the `n` class indices. */
export interface BatchLike {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/**
 * A source of batches. The image pipeline's `ImageDataset` satisfies it (its `imageSize` gives
 * the sample shape `[3, h, w]`); `arrayDataset()` wraps arrays in memory.
 */
export interface DataSource {
  readonly length: number;
  readonly classNames?: readonly string[];
  /** Shape of one sample, e.g. `[3, 64, 64]`. */
  readonly sampleShape?: readonly number[];
  /** `[h, w]` of 3-channel images (used when `sampleShape` is absent). */
  readonly imageSize?: readonly [number, number];
  batches(batchSize: number, opts?: { epoch?: number }): AsyncIterable<BatchLike>;
  numBatches?(batchSize: number): number;
  /** Files that failed to load since the last call. */
  takeSkipped?(): readonly { file: string; reason: string }[];
}

/** Arrays in memory: `x` holds `y.length` samples of `sampleShape`. */
export interface ArrayData {
  x: Float32Array;
  y: Int32Array | ArrayLike<number>;
  sampleShape: readonly number[];
  classNames?: readonly string[];
}

export interface ArrayDatasetOptions {
  /** Shuffle each epoch (seeded by `seed` and the epoch). Default true. */
  shuffle?: boolean;
  seed?: number;
  classNames?: readonly string[];
}

/** A `DataSource` over arrays in memory. */
export class ArrayDataset implements DataSource {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly sampleShape: readonly number[];
  readonly classNames: readonly string[];
  readonly shuffle: boolean;
  readonly seed: number;
  private readonly sampleSize: number;

  constructor(x: Float32Array, y: Int32Array | ArrayLike<number>, sampleShape: readonly number[], opts: ArrayDatasetOptions = {}) {
    this.x = x;
    this.y = y instanceof Int32Array ? y : Int32Array.from(y);
    this.sampleShape = [...sampleShape];
    this.sampleSize = sampleShape.reduce((a, b) => a * b, 1);
    if (this.sampleSize * this.y.length !== x.length) {
      throw new Error(
        `arrayDataset: x has ${x.length} values, expected ${this.y.length} samples × ${this.sampleSize} (shape [${sampleShape.join(', ')}])`,
      );
    }
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    let classes = 0;
    for (const label of this.y) classes = Math.max(classes, label + 1);
    this.classNames = opts.classNames ?? Array.from({ length: classes }, (_, i) => String(i));
  }

  get length(): number {
    return this.y.length;
  }

  numBatches(batchSize: number): number {
    return Math.ceil(this.length / batchSize);
  }

  async *batches(batchSize: number, opts: { epoch?: number } = {}): AsyncGenerator<BatchLike> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batches: batchSize must be a positive integer, got ${batchSize}`);
    const order = Int32Array.from({ length: this.length }, (_, i) => i);
    if (this.shuffle) {
      const random = mulberry32(mixSeed(this.seed, opts.epoch ?? 0));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
    }
    const size = this.sampleSize;
    for (let start = 0; start < this.length; start += batchSize) {
      const n = Math.min(batchSize, this.length - start);
      const x = new Float32Array(n * size);
      const y = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const i = order[start + k]!;
        x.set(this.x.subarray(i * size, (i + 1) * size), k * size);
        y[k] = this.y[i]!;
      }
      yield { x, y, n };
    }
  }
}

/** `new ArrayDataset(...)` from `{ x, y, sampleShape }`. */
export function arrayDataset(data: ArrayData, opts: ArrayDatasetOptions = {}): ArrayDataset {
  return new ArrayDataset(data.x, data.y, data.sampleShape, { classNames: data.classNames, ...opts });
}

function asSource(data: DataSource | ArrayData, seed: number | undefined): DataSource {
  if ('batches' in data && typeof data.batches === 'function') return data;
  return arrayDataset(data as ArrayData, { seed });
}

function sampleShapeOf(data: DataSource): readonly number[] {
  if (data.sampleShape) return data.sampleShape;
  if (data.imageSize) return [3, data.imageSize[0], data.imageSize[1]];
  throw new Error('fit: the data source has neither sampleShape nor imageSize, so batches cannot be shaped');
}

// ---- seeds -------------------------------------------------------------------------------------


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

/** The model's loss (scalar) and accuracy (scalar fraction) for one uploaded batch. */
function lossAndAccuracy(c: Pick<Compiled, 'loss' | 'labelSmoothing'>, logits: Tensor, y: Int32Array): { loss: Tensor; acc: Tensor } {
  if (c.loss === 'binary_crossentropy') {
    const flat = logits.reshape([y.length, logits.size / y.length]);
    if (flat.shape[1] !== 1) throw new Error(`binary_crossentropy: the model must output one logit per sample, got shape [${logits.shape.join(', ')}]`);
    const targets = Tensor.fromArray(Float32Array.from(y), [y.length, 1]);
    const loss = sigmoidBinaryCrossEntropy(flat, targets);
    const acc = noGrad(() => mean(equal(greater(flat, zeros([1, 1])), targets)));
    return { loss, acc };
  }
  const labels = Tensor.fromArray(y, [y.length], 'int32');
  const loss = softmaxCrossEntropy(logits, labels, { labelSmoothing: c.labelSmoothing });
  const acc = noGrad(() => softmaxAccuracy(logits, labels));
  return { loss, acc };
}

/** Packs two scalars into one 2-float tensor (one readback instead of two). Not tracked by tidy. */
function pack2(a: Tensor, b: Tensor): Tensor {
  const out = keep(Tensor.empty([2]));
  const d = out.device;
  d.copy(a.buffer, a.byteOffset, out.buffer, out.byteOffset, 4);
  d.copy(b.buffer, b.byteOffset, out.buffer, out.byteOffset + 4, 4);
  return out;
}

// ---- weights snapshots -------------------------------------------------------------------------

function entriesOf(named: NamedTensors): [string, Tensor][] {
  if (named instanceof Map) return [...named.entries()];
  if (Symbol.iterator in (named as object)) return [...(named as Iterable<[string, Tensor]>)];
  return Object.entries(named as Record<string, Tensor>);
}

/** Every tensor of the model's state, by name: stateDict (with buffers) when there is one. */
export function stateTensors(model: TrainableModel): [string, Tensor][] {
  if (typeof model.stateDict === 'function') return entriesOf(model.stateDict());
  if (typeof model.namedParameters === 'function') return entriesOf(model.namedParameters());
  return [...model.parameters()].map((t, i) => [String(i), t]);
}

interface Snapshot {
  tensors: Map<string, Tensor>;
  disposed: boolean;
}

const snapshotRegistry = new FinalizationRegistry<Map<string, Tensor>>((tensors) => {
  for (const t of tensors.values()) t.dispose();
});

/** GPU copies of every state tensor (no readback). */
export function snapshotWeights(model: TrainableModel): Snapshot {
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of stateTensors(model)) {
    const copy = keep(Tensor.empty(t.shape, t.dtype));
    copy.device.copy(t.buffer, t.byteOffset, copy.buffer, copy.byteOffset, t.byteLength);
    tensors.set(name, copy);
  }
  const snapshot: Snapshot = { tensors, disposed: false };
  snapshotRegistry.register(snapshot, tensors, snapshot);
  return snapshot;
}

/** Copies a snapshot back into the model's tensors, on the GPU. */
export function restoreWeights(model: TrainableModel, snapshot: unknown): void {
  const s = snapshot as Snapshot;
  if (!s || !(s.tensors instanceof Map) || s.disposed) throw new Error('restoreWeights: not a live snapshot from snapshotWeights()');
  for (const [name, t] of stateTensors(model)) {
    const src = s.tensors.get(name);
    if (!src) throw new Error(`restoreWeights: the snapshot has no tensor '${name}'`);
    if (src.size !== t.size) throw new Error(`restoreWeights: '${name}' has ${t.size} elements, the snapshot ${src.size}`);
    t.device.copy(src.buffer, src.byteOffset, t.buffer, t.byteOffset, t.byteLength);
  }
}

export function disposeSnapshot(snapshot: unknown): void {
  const s = snapshot as Snapshot;
  if (!s || s.disposed) return;
  s.disposed = true;
  snapshotRegistry.unregister(s);
  for (const t of s.tensors.values()) t.dispose();
}

// ---- fit -----------------------------------------------------------------------------------------

export type Verbosity = 0 | 1 | 2;

export interface FitOptions {
  /** Total epochs (the last epoch index + 1, as in Keras: with initialEpoch 3 and epochs 5, two run). Default 1. */
  epochs?: number;
  batchSize?: number;
  validationData?: DataSource | ArrayData;
  validationBatchSize?: number;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar, 2 one line per epoch. Default 1. */
  verbose?: Verbosity;
  /** 0-based epoch to start at (resuming). Default 0. */
  initialEpoch?: number;
  /** Seeds dropout and other random ops (per epoch, so resumed runs match); arrays' shuffle too. */
  seed?: number;
  /** Where output goes. Default: process.stdout when there is one, else console.log. */
  write?: (s: string) => void;
  /** Whether `write` is a terminal (progress redraws in place). Default: process.stdout.isTTY. */
  isTTY?: boolean;
  /** Millisecond clock for the progress bar (tests). */
  now?: () => number;
  /** Writes a checkpoint (the Node entry's `checkpointSaver` writes safetensors atomically). */
  saveCheckpoint?: (path: string, info: { epoch: number; logs: Logs }) => Promise<void>;
}

/** What `fit()` returns: Keras' History plus why training stopped. */
export class FitHistory extends History {
  /** 'completed', 'callback' (stopTraining set by a callback) or 'nan'. */
  stopReason: 'completed' | 'callback' | 'nan' = 'completed';
  /** The message printed when the loss became NaN. */
  nanMessage?: string;
  /** Files skipped per epoch: `{ epoch, train, validation }`. */
  skipped: { epoch: number; train: number; validation: number }[] = [];
}

function defaultWrite(): (s: string) => void {
  const stdout = (globalThis as { process?: { stdout?: { write(s: string): unknown } } }).process?.stdout;
  if (stdout) return (s) => void stdout.write(s);
  let line = '';
  return (s) => {
    line += s.replace(/^.*\r/s, '');
    const parts = line.split('\n');
    line = parts.pop()!;
    for (const p of parts) console.log(p);
  };
}

function defaultIsTTY(): boolean {
  return Boolean((globalThis as { process?: { stdout?: { isTTY?: boolean } } }).process?.stdout?.isTTY);
}

function setTrainMode(model: TrainableModel, training: boolean): void {
  if (training) model.train?.(true);
  else if (typeof model.eval === 'function') model.eval();
  else model.train?.(false);
}

/**
 * Keras' `model.fit()`. Runs epochs `initialEpoch .. epochs-1`, returns the History.
 * The model must have been passed to `compile()`.
 */
export async function fit(model: TrainableModel, trainData: DataSource | ArrayData, opts: FitOptions = {}): Promise<FitHistory> {
  const c = compiledOf(model, 'fit');
  const optimizer = c.optimizer;
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 32;
  const initialEpoch = opts.initialEpoch ?? 0;
  const verbose = opts.verbose ?? 1;
  const seed = opts.seed ?? 0;
  const write = opts.write ?? defaultWrite();
  const isTTY = opts.isTTY ?? defaultIsTTY();
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`fit: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new Error(`fit: initialEpoch must be a non-negative integer, got ${initialEpoch}`);
  const train = asSource(trainData, seed);
  const validation = opts.validationData ? asSource(opts.validationData, seed) : undefined;
  const sampleShape = sampleShapeOf(train);
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  if (train.length === 0) throw new Error('fit: the training data is empty');

  const history = new FitHistory();
  const snapshots = new Set<unknown>();
  const handle: TrainerHandle = {
    stopTraining: false,
    getLearningRate: () => optimizer.lr,
    setLearningRate: (lr: number) => {
      optimizer.lr = lr;
    },
    saveCheckpoint: async (path, info) => {
      if (!opts.saveCheckpoint) {
        throw new Error('fit: a callback asked for a checkpoint but no saveCheckpoint was given (webgpu-alexnet/node has checkpointSaver())');
      }
      await opts.saveCheckpoint(path, info);
    },
    snapshotWeights: async () => {
      const s = snapshotWeights(model);
      snapshots.add(s);
      return s;
    },
    restoreWeights: async (s) => restoreWeights(model, s),
    log: (line: string) => {
      if (verbose > 0) write(line + '\n');
    },
  };
  const callbacks = new CallbackList([...(opts.callbacks ?? []), history]);
  callbacks.setTrainer(handle);

  const steps = train.numBatches?.(batchSize) ?? Math.ceil(train.length / batchSize);
  await callbacks.onTrainBegin();
  try {
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      await callbacks.onEpochBegin(epoch);
      setTrainMode(model, true);
      manualSeed(mixSeed(seed, epoch));
      if (verbose > 0) write(epochHeader(epoch, epochs) + '\n');
      const bar = verbose > 0 ? new ProgressBar({ total: Math.max(1, steps), isTTY: verbose === 1 && isTTY, write, now: opts.now }) : undefined;

      let lossSum = 0;
      let accSum = 0;
      let count = 0;
      let nanAt: number | undefined;
      type Pending = { read: Promise<Float32Array>; n: number; step: number };
      let pending: Pending | undefined;
      const consume = async (p: Pending): Promise<void> => {
        const [loss, acc] = await p.read;
        lossSum += loss! * p.n;
        accSum += acc! * p.n;
        count += p.n;
        const logs: Logs = { loss: lossSum / count };
        if (c.metrics.includes('accuracy')) logs['accuracy'] = accSum / count;
        bar?.update(p.step + 1, logs);
        if (!Number.isFinite(loss!)) nanAt ??= p.step;
        await callbacks.onBatchEnd(p.step, { ...logs, loss: loss! });
      };

      let step = 0;
      for await (const batch of train.batches(batchSize, { epoch })) {
        await callbacks.onBatchBegin(step);
        const n = batch.n;
        const metrics = tidy(() => {
          const x = Tensor.fromArray(batch.x.length === n * sampleSize ? batch.x : batch.x.subarray(0, n * sampleSize), [n, ...sampleShape]);
          optimizer.zeroGrad();
          const logits = model.forward(x);
          const { loss, acc } = lossAndAccuracy(c, logits, batch.y.subarray(0, n));
          loss.backward();
          optimizer.step();
          return pack2(loss, acc);
        });
        const read = metrics.data().finally(() => metrics.dispose());
        read.catch(() => {}); // awaited below; this only stops an early rejection being "unhandled"
        if (pending) await consume(pending);
        pending = { read, n, step };
        step++;
        if (nanAt !== undefined || handle.stopTraining) break;
      }
      if (pending) await consume(pending);

      if (nanAt !== undefined) {
        history.stopReason = 'nan';
        history.nanMessage = `loss became NaN at epoch ${epoch + 1} step ${nanAt + 1}; training stopped`;
        if (bar) write('\n');
        write(history.nanMessage + '\n');
        handle.stopTraining = true;
        break;
      }

      const logs: Logs = { loss: count ? lossSum / count : NaN };
      if (c.metrics.includes('accuracy')) logs['accuracy'] = count ? accSum / count : NaN;
      let validationSkipped = 0;
      if (validation) {
        await callbacks.onTestBegin();
        const v = await evaluate(model, validation, { batchSize: opts.validationBatchSize ?? batchSize });
        logs['val_loss'] = v.loss;
        if (c.metrics.includes('accuracy')) logs['val_accuracy'] = v.accuracy;
        await callbacks.onTestEnd({ val_loss: v.loss, val_accuracy: v.accuracy });
        validationSkipped = v.skipped;
      }
      bar?.finish(logs);
      logs['lr'] = optimizer.lr;
      const trainSkipped = train.takeSkipped?.().length ?? 0;
      history.skipped.push({ epoch, train: trainSkipped, validation: validationSkipped });
      if (trainSkipped + validationSkipped > 0 && verbose > 0) {
        write(`Epoch ${epoch + 1}: skipped ${trainSkipped} training and ${validationSkipped} validation files that could not be read\n`);
      }
      await callbacks.onEpochEnd(epoch, logs);
      if (handle.stopTraining) {
        history.stopReason = 'callback';
        break;
      }
    }
    await callbacks.onTrainEnd(history.epoch.length ? lastLogs(history) : undefined);
  } finally {
    for (const s of snapshots) disposeSnapshot(s);
  }
  return history;
}

function lastLogs(h: History): Logs {
  const logs: Logs = {};
  for (const [k, v] of Object.entries(h.history)) logs[k] = v[v.length - 1]!;
  return logs;
}

// ---- evaluate and predict --------------------------------------------------------------------

export interface EvaluateOptions {
  batchSize?: number;
  /** Also count a confusion matrix (reads the predicted classes back every batch). */
  confusionMatrix?: boolean;
  /** The loss, when the model was not compiled. */
  loss?: LossName;
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
 * gradients. Sums stay on the GPU and are read once at the end.
 */
export async function evaluate(model: TrainableModel, data: DataSource | ArrayData, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const c = compiledModels.get(model) ?? { loss: opts.loss ?? 'sparse_categorical_crossentropy', labelSmoothing: 0 };
  const source = asSource(data, 0);
  const sampleShape = sampleShapeOf(source);
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  const batchSize = opts.batchSize ?? 32;
  const wasTraining = model.training;
  setTrainMode(model, false);
  const totals = keep(zeros([2]));
  let count = 0;
  const classes = source.classNames?.length ?? 0;
  const confusion = opts.confusionMatrix ? Array.from({ length: Math.max(classes, 2) }, () => new Array<number>(Math.max(classes, 2)).fill(0)) : undefined;
  let pendingConfusion: Promise<void> | undefined;
  try {
    for await (const batch of source.batches(batchSize, { epoch: 0 })) {
      const n = batch.n;
      const y = batch.y.subarray(0, n);
      const predicted = noGrad(() =>
        tidy(() => {
          const x = Tensor.fromArray(batch.x.length === n * sampleSize ? batch.x : batch.x.subarray(0, n * sampleSize), [n, ...sampleShape]);
          const logits = model.forward(x);
          const { loss, acc } = lossAndAccuracy(c, logits, y);
          const m = tidy(() => pack2(loss, acc));
          axpy_(totals, m, n);
          m.dispose();
          if (!confusion) return undefined;
          return keep(probabilitiesOf(c.loss, logits));
        }),
      );
      count += n;
      if (predicted && confusion) {
        const labels = Int32Array.from(y);
        const read = predicted.data().finally(() => predicted.dispose());
        const previous = pendingConfusion;
        pendingConfusion = (async () => {
          await previous;
          const probs = await read;
          const k = probs.length / n;
          for (let i = 0; i < n; i++) {
            const row = probs.subarray(i * k, (i + 1) * k);
            const top = argmaxOf(row);
            const truth = labels[i]!;
            if (confusion[truth] && top < confusion[truth]!.length) confusion[truth]![top]! += 1;
          }
        })();
        pendingConfusion.catch(() => {});
      }
    }
    await pendingConfusion;
    const [lossSum, accSum] = await totals.data();
    const skipped = source.takeSkipped?.().length ?? 0;
    return { loss: count ? lossSum! / count : NaN, accuracy: count ? accSum! / count : NaN, count, skipped, confusion };
  } finally {
    totals.dispose();
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
  const loss = compiledModels.get(model)?.loss ?? opts.loss ?? 'sparse_categorical_crossentropy';
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
