// SPDX-License-Identifier: MIT
// Dropout (inverted: kept values are scaled by 1/(1-p)); identity in eval mode.

import { dropout } from '../tensor/ops/dropout.js';
import type { Tensor } from '../tensor/index.js';
import { Module } from './module.js';

export class Dropout extends Module {
  private calls = 0;

  /** `seed`: masks are seed, seed+1, ... per forward call; default: the global seed sequence. */
  constructor(readonly p = 0.5, readonly opts: { seed?: number } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    const seed = this.opts.seed === undefined ? undefined : (this.opts.seed + this.calls++) >>> 0;
    return dropout(x, this.p, { training: this.training, seed });
  }

  override describe(): string {
    return `Dropout(${this.p})`;
  }
}
