// SPDX-License-Identifier: MIT
// Linear (Keras: Dense): y = x·Wᵀ + b, W stored [out, in] as in PyTorch. One matmul with the
// bias (and a following ReLU, when Sequential fuses it) in the kernel's epilogue.

import { matmul, relu, type Shape, type Tensor } from '../tensor/index.js';
import { initBias, initWeight, type BiasInit, type WeightInit } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  /** weight initialiser (default 'pytorch': uniform ±1/sqrt(in)) */
  init?: WeightInit;
  /** bias initialiser (default 'pytorch') */
  biasInit?: BiasInit;
  seed?: number;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    const seed = opts.seed;
    this.weight = this.registerParameter('weight', initWeight([outFeatures, inFeatures], opts.init ?? 'pytorch', seed));
    this.bias = opts.bias === false ? null
      : this.registerParameter('bias', initBias(outFeatures, inFeatures, opts.biasInit ?? 'pytorch', seed === undefined ? undefined : seed ^ 0x5bd1e995));
  }

  forward(x: Tensor): Tensor {
    return this.run(x, false);
  }

  /** forward followed by ReLU, in one kernel (Sequential calls this for Linear → ReLU). */
  forwardRelu(x: Tensor): Tensor {
    return this.run(x, true);
  }

  private run(x: Tensor, fuseRelu: boolean): Tensor {
    const flat = x.rank === 2 ? x : x.reshape([-1, this.inFeatures]);
    let y = this.bias
      ? matmul(flat, this.weight, { transB: true, bias: this.bias, relu: fuseRelu })
      : matmul(flat, this.weight, { transB: true });
    if (fuseRelu && !this.bias) y = relu(y);
    return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
  }

  override outputShape(s: Shape): number[] {
    if (s[s.length - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}, ${this.outFeatures}): input [${s.join(', ')}] does not end in ${this.inFeatures}`);
    }
    return [...s.slice(0, -1), this.outFeatures];
  }

  override flops(s: Shape): number {
    const rows = s.slice(1, -1).reduce((a, b) => a * b, 1);
    return rows * (2 * this.inFeatures * this.outFeatures + (this.bias ? this.outFeatures : 0));
  }

  override describe(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}${this.bias ? '' : ', bias=false'})`;
  }
}

/** Keras' name for Linear. */
export const Dense = Linear;
export type Dense = Linear;
