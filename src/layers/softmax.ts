// SPDX-License-Identifier: MIT
// Softmax as a layer (for a model that should output probabilities). For training, keep the
// logits and use softmaxCrossEntropy, which is fused and numerically stable.

import { softmax } from '../tensor/ops/softmax.js';
import type { Shape, Tensor } from '../tensor/index.js';
import { Module } from './module.js';

export class Softmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }

  /** max, exp, sum, divide per element */
  override flops(s: Shape): number {
    return 4 * s.slice(1).reduce((a, b) => a * b, 1);
  }

  override describe(): string {
    return `Softmax(axis=${this.axis})`;
  }
}
