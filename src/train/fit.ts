// SPDX-License-Identifier: MIT
// Keras' `fit()`: the epoch and step loop over a compiled model (compile.ts), with callbacks,
// progress output and validation (evaluate.ts) after each epoch. Browser-safe: no Node imports.
// Files (checkpoints) are written through an injected saver; output goes through an injected
// `write`. Beside it: model.ts (what a model, optimizer and data source must offer),
// array-dataset.ts, compile.ts, evaluate.ts (evaluate, predict), snapshot.ts (weight copies).
//
// One training step: upload the batch, then inside one synchronous `tidy`: zero the gradients,
// forward, loss, backward, `optimizer.step()`, and copy the batch's loss and accuracy into a
// small 2-float tensor that outlives the scope. Its readback is started at once but awaited
// only after the NEXT step has been recorded and submitted, so the GPU always has queued work
// while the CPU waits, and the CPU reads the metrics once per step (one step late). In Node on
// a CPU driver (lavapipe) the "GPU" runs on the same cores, and recording a step while the
// driver runs the one before slows both: there each step is read before the next is recorded
// (FIT_TUNING).

import { getDevice, keep, manualSeed, Tensor, tidy } from '../tensor/index.js';
import { mixSeed, mulberry32 } from '../tensor/rng.js';
import { checkMixOptions, mixBatch, mixEnabled, type MixOptions } from '../data/mix.js';
import { asSource, sampleShapeOf, type ArrayData } from './array-dataset.js';
import { Callback, CallbackList, type Logs, type TrainerHandle } from './callbacks.js';
import { compiledOf, lossAndAccuracy, pack2 } from './compile.js';
import { History } from './history.js';
import { setTrainMode, type DataSource, type TrainableModel } from './model.js';
import { epochHeader, formatLogs, ProgressBar } from './progress.js';
import { disposeSnapshot, restoreWeights, snapshotWeights } from './snapshot.js';
import { evaluate } from './evaluate.js';

// ---- fit -----------------------------------------------------------------------------------------

/**
 * overlapStepsOnCpu: read a step's metrics only after the next step is recorded on a CPU
 * driver too (a GPU always does). Node turns it off (src/node/device.ts): there lavapipe runs
 * 16 threads on 2 cores, and recording the next step while they ran this one made fit's steps
 * 10-20% slower, not faster (BENCHMARKS.md, "Overlapping steps on a CPU driver"). Browsers
 * keep it: their drivers run a thread per core, and the overlap was not measured there.
 * evaluate() always overlaps: in Node it measured level.
 */
export const FIT_TUNING = { overlapStepsOnCpu: true };

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
  /**
   * Mixes each training batch with mixup and/or CutMix (src/data/mix.ts), seeded by `seed`,
   * the epoch and the step. The training loss then uses the mixed targets and the training
   * accuracy counts each sample's larger-weight label; validation is never mixed.
   */
  mix?: MixOptions;
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


/** Tells the mixing's random stream apart from the others seeded by (seed, epoch, ...). */
const MIX_STREAM = 0x6d1c;

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
  if (opts.mix) checkMixOptions(opts.mix);
  const mix = mixEnabled(opts.mix) ? opts.mix : undefined;
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

      const overlap = FIT_TUNING.overlapStepsOnCpu || !getDevice().info.isCpu;
      let step = 0;
      for await (const batch of train.batches(batchSize, { epoch })) {
        await callbacks.onBatchBegin(step);
        const n = batch.n;
        const mixed = mix ? mixBatch(batch.x, batch.y, n, sampleShape, mix, mulberry32(mixSeed(seed, epoch, step, MIX_STREAM))) : undefined;
        const xs = mixed?.x ?? batch.x;
        const metrics = tidy(() => {
          const x = Tensor.fromArray(xs.length === n * sampleSize ? xs : xs.subarray(0, n * sampleSize), [n, ...sampleShape]);
          optimizer.zeroGrad();
          const logits = model.forward(x);
          const { loss, acc } = lossAndAccuracy(c, logits, batch.y.subarray(0, n), mixed);
          loss.backward();
          optimizer.step();
          return pack2(loss, acc);
        });
        const read = metrics.data().finally(() => metrics.dispose());
        read.catch(() => {}); // awaited below; this only stops an early rejection being "unhandled"
        if (pending) await consume(pending);
        pending = { read, n, step };
        if (!overlap) {
          await consume(pending);
          pending = undefined;
        }
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
        const v = await evaluate(model, validation, { batchSize: opts.validationBatchSize ?? batchSize, onBatchBegin: (b) => callbacks.onTestBatchBegin(b) });
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
