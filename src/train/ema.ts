// SPDX-License-Identifier: MIT
// An exponential moving average of the weights (Polyak averaging), as a callback: after every
// optimizer step, ema ← d·ema + (1 − d)·w for every float tensor of the model's state —
// parameters and BatchNorm's running statistics alike (timm's ModelEmaV2) — one axpy dispatch
// per tensor, on the GPU. The decay warms up as TensorFlow's ExponentialMovingAverage with
// num_updates does: d_t = min(decay, (1 + t) / (10 + t)), so early averages are not dominated by
// the random initialisation.
//
// Validation and checkpoints see the average: the callback swaps it into the model before the
// validation pass (onTestBegin; at onEpochEnd when there is no validation, so list it before
// the checkpoint callbacks) and swaps the trained weights back when the next epoch begins. When
// training ends the model keeps the average. A checkpoint therefore holds the averaged weights:
// resuming from it continues from the average (with the optimizer's state of the raw weights).

import { axpy_, keep, noGrad, Tensor } from '../tensor/index.js';
import { Callback } from './callbacks.js';
import type { TrainableModel } from './model.js';
import { stateTensors } from './snapshot.js';

export interface EmaOptions {
  /** The decay d per step. Typical 0.99–0.9999: the average spans about 1/(1 − d) steps. Default 0.999. */
  decay?: number;
  /** Warm the decay up as (1 + t) / (10 + t). Default true. */
  warmup?: boolean;
}

export class WeightsEMA extends Callback {
  readonly decay: number;
  readonly warmup: boolean;
  /** updates applied so far */
  updates = 0;
  private readonly live: [string, Tensor][];
  private readonly average = new Map<string, Tensor>();
  private backup: Map<string, Tensor> | null = null;
  /** a step was recorded since the last update */
  private pending = false;

  constructor(readonly model: TrainableModel, opts: EmaOptions = {}) {
    super();
    this.decay = opts.decay ?? 0.999;
    this.warmup = opts.warmup ?? true;
    if (!(this.decay >= 0 && this.decay < 1)) throw new Error(`WeightsEMA: decay must be in [0, 1), got ${this.decay}`);
    this.live = stateTensors(model).filter(([, t]) => t.dtype === 'float32');
    if (this.live.length === 0) throw new Error('WeightsEMA: the model has no float32 state to average');
    for (const [name, t] of this.live) this.average.set(name, copyOf(t));
  }

  /** The decay of update number `t` (0-based). */
  decayAt(t: number): number {
    return this.warmup ? Math.min(this.decay, (1 + t) / (10 + t)) : this.decay;
  }

  /** Folds the model's current weights into the average (call after each optimizer step). */
  update(): void {
    if (this.backup) throw new Error('WeightsEMA.update: the average is swapped into the model; swapOut() first');
    const d = this.decayAt(this.updates++);
    noGrad(() => {
      for (const [name, t] of this.live) axpy_(this.average.get(name)!, t, 1 - d, d);
    });
  }

  /** The averaged tensor of `name` (a state-dict key). */
  averaged(name: string): Tensor | undefined {
    return this.average.get(name);
  }

  /** Whether the model holds the average now. */
  get swappedIn(): boolean {
    return this.backup !== null;
  }

  /** Puts the average into the model, keeping the trained weights aside. */
  swapIn(): void {
    if (this.backup) return;
    this.backup = new Map();
    for (const [name, t] of this.live) {
      this.backup.set(name, copyOf(t));
      const a = this.average.get(name)!;
      t.device.copy(a.buffer, a.byteOffset, t.buffer, t.byteOffset, t.byteLength);
    }
  }

  /** Puts the trained weights back. */
  swapOut(): void {
    if (!this.backup) return;
    for (const [name, t] of this.live) {
      const b = this.backup.get(name)!;
      t.device.copy(b.buffer, b.byteOffset, t.buffer, t.byteOffset, t.byteLength);
      b.dispose();
    }
    this.backup = null;
  }

  private flush(): void {
    if (this.pending) {
      this.pending = false;
      this.update();
    }
  }

  override onEpochBegin(): void {
    this.swapOut();
  }

  // fit() calls onBatchBegin before recording each step: the previous step is then recorded
  override onBatchBegin(): void {
    this.flush();
    this.pending = true;
  }

  override onTestBegin(): void {
    this.flush();
    this.swapIn();
  }

  override onEpochEnd(): void {
    this.flush();
    this.swapIn();
  }

  /** Leaves the average in the model and frees the copies. */
  override onTrainEnd(): void {
    this.flush();
    this.swapIn();
    for (const b of this.backup?.values() ?? []) b.dispose();
    this.backup = null;
  }

  dispose(): void {
    this.swapOut();
    for (const a of this.average.values()) a.dispose();
    this.average.clear();
  }
}

function copyOf(t: Tensor): Tensor {
  const c = keep(Tensor.empty(t.shape, t.dtype));
  t.device.copy(t.buffer, t.byteOffset, c.buffer, c.byteOffset, t.byteLength);
  return c;
}
