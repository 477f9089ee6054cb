// SPDX-License-Identifier: MIT
// Keras-style training callbacks. `fit()` drives them through a `CallbackList` and hands each
// one a `TrainerHandle`; the callbacks only decide (stop, change the learning rate, save,
// restore), the trainer does. Epochs and batches are 0-based here and printed 1-based, as Keras.
// Browser-safe: no Node imports; file output goes through the trainer or lives in src/node/.

import type { Logs } from './logs.js';
import { formatExponential, formatFixed, reprFloat } from './progress.js';

export type { Logs } from './logs.js';

/** What `fit()` hands to callbacks. */
export interface TrainerHandle {
  stopTraining: boolean;
  getLearningRate(): number;
  setLearningRate(lr: number): void;
  /** Writes the model to `path` atomically. */
  saveCheckpoint(path: string, info: { epoch: number; logs: Logs }): Promise<void>;
  /** An opaque copy of all weights. */
  snapshotWeights(): Promise<unknown>;
  restoreWeights(snapshot: unknown): Promise<void>;
  /** Prints a line (respects fit's verbosity). */
  log(line: string): void;
}

/** Base class: override the hooks you need; each may return a promise, which `fit()` awaits. */
export abstract class Callback {
  trainer!: TrainerHandle;

  setTrainer(trainer: TrainerHandle): void {
    this.trainer = trainer;
  }

  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  onBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
  /** Before the validation pass at the end of an epoch (Keras' on_test_begin). */
  onTestBegin(_logs?: Logs): void | Promise<void> {}
  /** Before each batch of the validation pass (Keras' on_test_batch_begin). */
  onTestBatchBegin(_batch: number): void | Promise<void> {}
  /** After the validation pass, before onEpochEnd (Keras' on_test_end). */
  onTestEnd(_logs?: Logs): void | Promise<void> {}
}

/** Calls every callback in order, awaiting each before the next. */
export class CallbackList {
  readonly callbacks: Callback[];

  constructor(callbacks: Callback[] = []) {
    this.callbacks = [...callbacks];
  }

  add(callback: Callback): void {
    this.callbacks.push(callback);
  }

  setTrainer(trainer: TrainerHandle): void {
    for (const callback of this.callbacks) callback.setTrainer(trainer);
  }

  async onTrainBegin(logs?: Logs): Promise<void> {
    for (const callback of this.callbacks) await callback.onTrainBegin(logs);
  }
  async onTrainEnd(logs?: Logs): Promise<void> {
    for (const callback of this.callbacks) await callback.onTrainEnd(logs);
  }
  async onEpochBegin(epoch: number, logs?: Logs): Promise<void> {
    for (const callback of this.callbacks) await callback.onEpochBegin(epoch, logs);
  }
  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const callback of this.callbacks) await callback.onEpochEnd(epoch, logs);
  }
  async onBatchBegin(batch: number, logs?: Logs): Promise<void> {
    for (const callback of this.callbacks) await callback.onBatchBegin(batch, logs);
  }
  async onBatchEnd(batch: number, logs: Logs): Promise<void> {
    for (const callback of this.callbacks) await callback.onBatchEnd(batch, logs);
  }
  async onTestBegin(logs?: Logs): Promise<void> {
    for (const callback of this.callbacks) await callback.onTestBegin(logs);
  }
  async onTestBatchBegin(batch: number): Promise<void> {
    for (const callback of this.callbacks) await callback.onTestBatchBegin(batch);
  }
  async onTestEnd(logs?: Logs): Promise<void> {
    for (const callback of this.callbacks) await callback.onTestEnd(logs);
  }
}

type Hooks = Partial<Pick<Callback, 'onTrainBegin' | 'onTrainEnd' | 'onEpochBegin' | 'onEpochEnd' | 'onBatchBegin' | 'onBatchEnd' | 'onTestBegin' | 'onTestBatchBegin' | 'onTestEnd'>>;

/** A callback built from plain functions: `new LambdaCallback({ onEpochEnd: (e, logs) => ... })`. */
export class LambdaCallback extends Callback {
  constructor(hooks: Hooks) {
    super();
    // Own properties shadow the no-op prototype methods.
    Object.assign(this, hooks);
  }
}

const ALIASES = new Map([
  ['acc', 'accuracy'],
  ['accuracy', 'acc'],
  ['val_acc', 'val_accuracy'],
  ['val_accuracy', 'val_acc'],
]);

/** The other spelling of a metric name (`acc` ↔ `accuracy`, `val_acc` ↔ `val_accuracy`), if any. */
export function metricAlias(name: string): string | undefined {
  return ALIASES.get(name);
}

/** Finds `name` (or its alias) in `logs`. */
export function findMetric(logs: Logs, name: string): number | undefined {
  // hasOwn, not `in`: a metric called 'toString' must not find Object.prototype's.
  if (Object.hasOwn(logs, name)) return logs[name];
  const alias = ALIASES.get(name);
  return alias !== undefined && Object.hasOwn(logs, alias) ? logs[alias] : undefined;
}

/**
 * The value of the monitored metric `name` in `logs`, accepting the aliases above.
 * Throws an Error listing the available metrics when it is missing; `owner` prefixes the message.
 */
export function resolveMetric(logs: Logs, name: string, owner = 'resolveMetric'): number {
  const value = findMetric(logs, name);
  if (value === undefined) {
    const available = Object.keys(logs).join(', ') || '(none)';
    throw new Error(`${owner}: monitor '${name}' not found; available: ${available}`);
  }
  return value;
}

export type Mode = 'auto' | 'min' | 'max';

/** Whether larger is better: `auto` means max for accuracy/AUC-like metrics, min otherwise. */
function maximizes(monitor: string, mode: Mode): boolean {
  if (mode === 'auto') return monitor.includes('acc') || monitor.includes('auc');
  return mode === 'max';
}

/** `current` beats `reference` by more than `minDelta` in the monitored direction. */
function improves(current: number, reference: number, maximize: boolean, minDelta: number): boolean {
  return maximize ? current - minDelta > reference : current + minDelta < reference;
}

/** The Keras/Python `%.5f` used in callback messages (prints `inf`, `-inf`). */
function five(x: number): string {
  return formatFixed(x, 5);
}

/**
 * Fills a Python-format-style template: `{epoch}`, `{epoch:02d}`, `{val_accuracy:.4f}`,
 * `{loss:.2e}`, `{{` and `}}` for literal braces. Metrics without a spec print like Python's
 * `repr(float)`; metric aliases are accepted. An unknown name throws, listing the known ones.
 */
export function formatFilepath(template: string, epoch: number, logs: Logs): string {
  return template.replace(/\{\{|\}\}|\{([A-Za-z_][\w]*)(?::([^}]*))?\}/g, (match, name?: string, spec?: string) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const key = name as string;
    const isEpoch = key === 'epoch';
    const value = isEpoch ? epoch + 1 : findMetric(logs, key);
    if (value === undefined) {
      const known = ['epoch', ...Object.keys(logs)].join(', ');
      throw new Error(`ModelCheckpoint: filepath '${template}' uses '{${key}}'; known names: ${known}`);
    }
    return formatSpec(value, spec ?? '', isEpoch);
  });
}

/** The subset of Python's format-spec mini-language that filenames need: `[0][width][.prec][d|f|e]`. */
function formatSpec(value: number, spec: string, isInteger: boolean): string {
  const parsed = /^(0)?(\d+)?(?:\.(\d+))?([dfe])?$/.exec(spec);
  if (parsed === null) throw new Error(`ModelCheckpoint: unsupported format spec ':${spec}'`);
  const [, zero, width, precision, type] = parsed;
  let text: string;
  if (type === 'd') text = String(Math.round(value));
  else if (type === 'f') text = formatFixed(value, precision === undefined ? 6 : Number(precision));
  else if (type === 'e') text = formatExponential(value, precision === undefined ? 6 : Number(precision));
  else if (precision !== undefined) throw new Error(`ModelCheckpoint: format spec ':${spec}' needs a type (d, f or e)`);
  else text = isInteger ? String(value) : reprFloat(value);
  const size = width === undefined ? 0 : Number(width);
  if (text.length >= size) return text;
  if (zero === undefined) return text.padStart(size);
  const sign = text.startsWith('-') ? '-' : '';
  return sign + text.slice(sign.length).padStart(size - sign.length, '0');
}

export interface ModelCheckpointOptions {
  /** Target path; may use `{epoch}`, `{epoch:02d}`, `{val_accuracy:.4f}`, ... */
  filepath: string;
  monitor?: string;
  mode?: Mode;
  /** Only save when the monitored metric improves on the best so far. */
  saveBestOnly?: boolean;
  verbose?: number;
}

/** Keras `ModelCheckpoint`: saves the model after each epoch, or only when it improves. */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly verbose: number;
  private readonly maximize: boolean;
  /** The best monitored value so far; set it (and bestEpoch) to continue a resumed run's. */
  best: number;
  /** 0-based epoch of `best`; -1 before any. */
  bestEpoch = -1;

  constructor(options: ModelCheckpointOptions) {
    super();
    this.filepath = options.filepath;
    this.monitor = options.monitor ?? 'val_loss';
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.verbose = options.verbose ?? 1;
    this.maximize = maximizes(this.monitor, options.mode ?? 'auto');
    this.best = this.maximize ? -Infinity : Infinity;
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const path = formatFilepath(this.filepath, epoch, logs);
    const prefix = `Epoch ${epoch + 1}: `;
    if (!this.saveBestOnly) {
      if (this.verbose > 0) this.trainer.log(`${prefix}saving model to ${path}`);
      await this.trainer.saveCheckpoint(path, { epoch, logs });
      return;
    }
    const current = resolveMetric(logs, this.monitor, 'ModelCheckpoint');
    if (improves(current, this.best, this.maximize, 0)) {
      if (this.verbose > 0) {
        this.trainer.log(
          `${prefix}${this.monitor} improved from ${five(this.best)} to ${five(current)}, saving model to ${path}`,
        );
      }
      this.best = current;
      this.bestEpoch = epoch;
      await this.trainer.saveCheckpoint(path, { epoch, logs });
    } else if (this.verbose > 0) {
      this.trainer.log(`${prefix}${this.monitor} did not improve from ${five(this.best)}`);
    }
  }
}

export interface EarlyStoppingOptions {
  monitor?: string;
  /** Changes smaller than this do not count as improvements. */
  minDelta?: number;
  /** Epochs without improvement before stopping. */
  patience?: number;
  mode?: Mode;
  /** Training stops after `patience` epochs unless the metric beats this value. */
  baseline?: number;
  /** Put back the weights of the best epoch when training ends, stopped early or not. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching at all (warm-up). */
  startFromEpoch?: number;
  verbose?: number;
}

/** Keras (>= 2.11) `EarlyStopping`. */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly verbose: number;
  private readonly maximize: boolean;
  wait = 0;
  /** 0-based epoch at which training was stopped; 0 when it was not. */
  stoppedEpoch = 0;
  best = Infinity;
  bestEpoch = 0;
  private bestWeights: unknown = undefined;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    this.baseline = options.baseline;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = options.startFromEpoch ?? 0;
    this.verbose = options.verbose ?? 0;
    this.maximize = maximizes(this.monitor, options.mode ?? 'auto');
  }

  override onTrainBegin(): void {
    // Reset so that one instance can be reused across fit() calls.
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.maximize ? -Infinity : Infinity;
    this.bestEpoch = 0;
    this.bestWeights = undefined;
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const current = resolveMetric(logs, this.monitor, 'EarlyStopping');
    if (epoch < this.startFromEpoch) return;
    // Even if nothing ever improves, restore to the first watched epoch rather than nothing.
    if (this.restoreBestWeights && this.bestWeights === undefined) {
      this.bestWeights = await this.trainer.snapshotWeights();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (improves(current, this.best, this.maximize, this.minDelta)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = await this.trainer.snapshotWeights();
      // Only restart the count once both the previous best and the baseline are beaten.
      if (this.baseline === undefined || improves(current, this.baseline, this.maximize, this.minDelta)) {
        this.wait = 0;
      }
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.trainer.stopTraining = true;
    }
  }

  override async onTrainEnd(): Promise<void> {
    if (this.stoppedEpoch > 0 && this.verbose > 0) {
      this.trainer.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    }
    if (this.restoreBestWeights && this.bestWeights !== undefined) {
      if (this.verbose > 0) {
        this.trainer.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      }
      await this.trainer.restoreWeights(this.bestWeights);
    }
  }
}

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  /** New rate = rate × factor; must be below 1. */
  factor?: number;
  /** Epochs without improvement before reducing. */
  patience?: number;
  mode?: Mode;
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. */
  cooldown?: number;
  /** Lower bound on the learning rate. */
  minLr?: number;
  verbose?: number;
}

/** Keras `ReduceLROnPlateau`. Also records the epoch's learning rate as `logs.lr`, like Keras. */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: number;
  private readonly maximize: boolean;
  wait = 0;
  cooldownCounter = 0;
  best: number;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = options.factor ?? 0.1;
    if (!(this.factor < 1)) {
      throw new Error(`ReduceLROnPlateau: factor must be < 1 (it multiplies the rate), got ${this.factor}`);
    }
    this.patience = options.patience ?? 10;
    this.minDelta = Math.abs(options.minDelta ?? 1e-4);
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    this.verbose = options.verbose ?? 0;
    this.maximize = maximizes(this.monitor, options.mode ?? 'auto');
    this.best = this.maximize ? -Infinity : Infinity;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.maximize ? -Infinity : Infinity;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    logs['lr'] = this.trainer.getLearningRate();
    const current = resolveMetric(logs, this.monitor, 'ReduceLROnPlateau');
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (improves(current, this.best, this.maximize, this.minDelta)) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownCounter > 0) return;
    this.wait += 1;
    if (this.wait < this.patience) return;
    const oldLr = this.trainer.getLearningRate();
    if (oldLr > this.minLr) {
      const newLr = Math.max(oldLr * this.factor, this.minLr);
      this.trainer.setLearningRate(newLr);
      if (this.verbose > 0) {
        this.trainer.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${reprFloat(newLr)}.`);
      }
      this.cooldownCounter = this.cooldown;
      this.wait = 0;
    }
  }
}

/** Keras `TerminateOnNaN`: stops as soon as a batch loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  override onBatchEnd(batch: number, logs: Logs): void {
    const loss = logs['loss'];
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.trainer.log(`Batch ${batch}: Invalid loss, terminating training`);
      this.trainer.stopTraining = true;
    }
  }
}
