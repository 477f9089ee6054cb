// SPDX-License-Identifier: MIT
// Learning-rate schedules, stepped once per epoch, with PyTorch's closed forms:
//   StepLR:            lr = base · gamma^floor(epoch / stepSize)
//   ExponentialLR:     lr = base · gamma^epoch
//   CosineAnnealingLR: lr = etaMin + (base − etaMin) · (1 + cos(π · epoch / tMax)) / 2
// They set `optimizer.lr`; anything else may set it too (ReduceLROnPlateau does). A schedule
// then continues from its own epoch count, relative to the base lr it started from.

import type { Optimizer } from './optimizer.js';

export abstract class LRScheduler {
  readonly baseLr: number;
  /** epochs stepped so far */
  lastEpoch = 0;

  constructor(readonly optimizer: Optimizer) {
    this.baseLr = optimizer.lr;
  }

  /** The learning rate for `epoch`. */
  abstract lrAt(epoch: number): number;

  /** Advances one epoch and sets the optimizer's lr. */
  step(): number {
    this.lastEpoch++;
    this.optimizer.lr = this.lrAt(this.lastEpoch);
    return this.optimizer.lr;
  }

  get lr(): number {
    return this.optimizer.lr;
  }

  stateDict(): { lastEpoch: number; baseLr: number } {
    return { lastEpoch: this.lastEpoch, baseLr: this.baseLr };
  }

  loadStateDict(s: { lastEpoch: number; baseLr?: number }): void {
    this.lastEpoch = s.lastEpoch;
    if (s.baseLr !== undefined) (this as { baseLr: number }).baseLr = s.baseLr;
  }
}

export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
  }

  lrAt(epoch: number): number {
    return this.baseLr * (this.opts.gamma ?? 0.1) ** Math.floor(epoch / this.opts.stepSize);
  }
}

export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly opts: { gamma: number }) {
    super(optimizer);
  }

  lrAt(epoch: number): number {
    return this.baseLr * this.opts.gamma ** epoch;
  }
}

export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
  }

  lrAt(epoch: number): number {
    const etaMin = this.opts.etaMin ?? 0;
    return etaMin + ((this.baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / this.opts.tMax))) / 2;
  }
}
