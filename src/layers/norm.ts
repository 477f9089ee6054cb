// SPDX-License-Identifier: MIT
// Normalisation layers: LocalResponseNorm (AlexNet 2012) and BatchNorm (what replaced it).

import { batchNorm2d } from '../tensor/ops/batchnorm.js';
import { localResponseNorm } from '../tensor/ops/lrn.js';
import { fill_, Tensor, type Shape } from '../tensor/index.js';
import { Module } from './module.js';

export interface LRNOptions {
  alpha?: number;
  beta?: number;
  k?: number;
  /**
   * 'average' (PyTorch's nn.LocalResponseNorm, default): the sum of squares is multiplied by
   * alpha / size. 'sum' (the paper's formula): by alpha. Paper α = 1e-4 with 'sum' equals
   * PyTorch alpha = 5e-4 with 'average' at size 5.
   */
  alphaScale?: 'sum' | 'average';
}

/** y[c] = x[c] / (k + a · Σ_{|c'-c| <= size/2} x[c']²)^beta, across channels. */
export class LocalResponseNorm extends Module {
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  readonly alphaScale: 'sum' | 'average';

  constructor(readonly size: number, opts: LRNOptions = {}) {
    super();
    this.alpha = opts.alpha ?? 1e-4;
    this.beta = opts.beta ?? 0.75;
    this.k = opts.k ?? 1;
    this.alphaScale = opts.alphaScale ?? 'average';
  }

  forward(x: Tensor): Tensor {
    return localResponseNorm(x, { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k, alphaScale: this.alphaScale });
  }

  /** per element: `size` squares and adds, then a pow and a divide */
  override flops(s: Shape): number {
    return (2 * this.size + 3) * s.slice(1).reduce((a, b) => a * b, 1);
  }

  override describe(): string {
    return `LocalResponseNorm(${this.size}, alpha=${this.alpha}${this.alphaScale === 'sum' ? ' (sum)' : ''}, beta=${this.beta}, k=${this.k})`;
  }
}

export interface BatchNormOptions {
  eps?: number;
  /** running = (1 - momentum) · running + momentum · batch (PyTorch's convention; Keras' 0.99 is 0.01 here) */
  momentum?: number;
}

/**
 * Batch normalisation over N (and H, W) per channel; `weight`, `bias` (γ, β) are trained,
 * `running_mean` and `running_var` are buffers updated in training mode and used in eval mode.
 * BatchNorm2d takes [N, C, H, W]; BatchNorm1d takes [N, C].
 */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.weight = this.registerParameter('weight', fill_(Tensor.empty([numFeatures]), 1));
    this.bias = this.registerParameter('bias', fill_(Tensor.empty([numFeatures]), 0));
    this.runningMean = this.registerBuffer('running_mean', fill_(Tensor.empty([numFeatures]), 0));
    this.runningVar = this.registerBuffer('running_var', fill_(Tensor.empty([numFeatures]), 1));
  }

  forward(x: Tensor): Tensor {
    return this.run(x, false);
  }

  /** forward followed by ReLU in the same kernels (Sequential fuses BatchNorm2d → ReLU) */
  forwardRelu(x: Tensor): Tensor {
    return this.run(x, true);
  }

  private run(x: Tensor, relu: boolean): Tensor {
    const rank = this.constructor === BatchNorm1d ? 2 : 4;
    if (x.rank !== rank || x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}(${this.numFeatures}): expected [N, ${this.numFeatures}${rank === 4 ? ', H, W' : ''}], got [${x.shape.join(', ')}]`);
    }
    return batchNorm2d(x, this.weight, this.bias, this.runningMean, this.runningVar, {
      training: this.training, momentum: this.momentum, eps: this.eps, relu,
    });
  }

  /** normalise, scale and shift: about 4 per element */
  override flops(s: Shape): number {
    return 4 * s.slice(1).reduce((a, b) => a * b, 1);
  }

  override describe(): string {
    return `${this.constructor.name}(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum})`;
  }
}

export class BatchNorm1d extends BatchNorm2d {}
