// SPDX-License-Identifier: MIT
// Parameter-free activation and shape layers: ReLU, Flatten.

import { relu, type Shape, type Tensor } from '../tensor/index.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }

  override flops(s: Shape): number {
    return s.slice(1).reduce((a, b) => a * b, 1);
  }

  override describe(): string {
    return 'ReLU()';
  }
}

/** Flattens dimensions startDim..end into one: [N, C, H, W] → [N, C·H·W]. A view, no copy. */
export class Flatten extends Module {
  constructor(readonly startDim = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.reshape(this.outputShape(x.shape));
  }

  override outputShape(s: Shape): number[] {
    return [...s.slice(0, this.startDim), s.slice(this.startDim).reduce((a, b) => a * b, 1)];
  }

  override describe(): string {
    return 'Flatten()';
  }
}
