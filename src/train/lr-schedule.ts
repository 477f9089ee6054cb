// SPDX-License-Identifier: MIT
// A callback that sets the learning rate before every training step from a per-step schedule
// (warmupCosineLr by default). The step number is epoch · stepsPerEpoch + batch, so a run
// resumed at an epoch picks the schedule up where it was.

import { Callback } from './callbacks.js';
import { checkWarmupCosine, warmupCosineLr, type WarmupCosineOptions } from '../optim/warmup-cosine.js';

export class StepLRSchedule extends Callback {
  private epoch = 0;

  /** `lrAt(step)` gives the rate of update `step` (0-based); `stepsPerEpoch` the batches of an epoch. */
  constructor(readonly lrAt: (step: number) => number, readonly stepsPerEpoch: number) {
    super();
    if (!(Number.isInteger(stepsPerEpoch) && stepsPerEpoch > 0)) throw new Error(`StepLRSchedule: stepsPerEpoch must be a positive integer, got ${stepsPerEpoch}`);
  }

  override onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  override onBatchBegin(batch: number): void {
    this.trainer.setLearningRate(this.lrAt(this.epoch * this.stepsPerEpoch + batch));
  }
}

/** Linear warm-up over `warmupEpochs`, then cosine decay to `minLr` at the end of `epochs`, stepped per batch. */
export function warmupCosineSchedule(o: { peakLr: number; epochs: number; warmupEpochs: number; stepsPerEpoch: number; minLr?: number }): StepLRSchedule {
  const options: WarmupCosineOptions = {
    peakLr: o.peakLr,
    warmupSteps: Math.round(o.warmupEpochs * o.stepsPerEpoch),
    totalSteps: o.epochs * o.stepsPerEpoch,
    minLr: o.minLr,
  };
  checkWarmupCosine(options);
  return new StepLRSchedule((step) => warmupCosineLr(step, options), o.stepsPerEpoch);
}
