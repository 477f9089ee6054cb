// SPDX-License-Identifier: MIT
// Conv2d: NCHW input, weight [out, in/groups, kh, kw] as in PyTorch (state_dict compatible).
// The bias, and a following ReLU when Sequential fuses it, run in the kernel's epilogue.

import { conv2d, convFlops, convShape } from '../tensor/ops/conv2d/index.js';
import { relu, type Shape, type Tensor } from '../tensor/index.js';
import { initBias, initWeight, type BiasInit, type WeightInit } from './init.js';
import { Module } from './module.js';

type Pair = number | [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  /** zeros on each side; 'same' keeps the size at stride 1 (odd kernels), 'valid' is 0 */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** weight initialiser (default 'pytorch': kaiming_uniform(a=√5) = uniform ±1/sqrt(fan_in)) */
  init?: WeightInit;
  /** bias initialiser (default 'pytorch': uniform ±1/sqrt(fan_in)) */
  biasInit?: BiasInit;
  seed?: number;
}

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    const [kh, kw] = this.kernelSize;
    const pad = opts.padding ?? 0;
    if (pad === 'same') {
      const eh = this.dilation[0] * (kh - 1);
      const ew = this.dilation[1] * (kw - 1);
      if (this.stride[0] !== 1 || this.stride[1] !== 1 || eh % 2 || ew % 2) {
        throw new Error(`Conv2d: padding 'same' needs stride 1 and an odd (dilated) kernel, got ${kh}x${kw} stride ${this.stride.join('x')}`);
      }
      this.padding = [eh / 2, ew / 2];
    } else {
      this.padding = pad === 'valid' ? [0, 0] : pair(pad);
    }
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`Conv2d(${inChannels}, ${outChannels}): channels do not divide by groups=${this.groups}`);
    }
    const wShape = [outChannels, inChannels / this.groups, kh, kw];
    const fanIn = (inChannels / this.groups) * kh * kw;
    const seed = opts.seed;
    this.weight = this.registerParameter('weight', initWeight(wShape, opts.init ?? 'pytorch', seed));
    this.bias = opts.bias === false ? null
      : this.registerParameter('bias', initBias(outChannels, fanIn, opts.biasInit ?? 'pytorch', seed === undefined ? undefined : seed ^ 0x5bd1e995));
  }

  private get hyper() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.hyper);
  }

  /** forward followed by ReLU in the same kernel (needs a bias; otherwise two ops). */
  forwardRelu(x: Tensor): Tensor {
    if (!this.bias) return relu(conv2d(x, this.weight, null, this.hyper));
    return conv2d(x, this.weight, this.bias, { ...this.hyper, relu: true });
  }

  override outputShape(s: Shape): number[] {
    const c = convShape(s, this.weight.shape, this.hyper);
    return [c.n, c.k, c.oh, c.ow];
  }

  override flops(s: Shape): number {
    const c = convShape([1, ...s.slice(1)], this.weight.shape, this.hyper);
    return convFlops(c) + (this.bias ? c.k * c.oh * c.ow : 0);
  }

  override describe(): string {
    const [kh, kw] = this.kernelSize;
    const parts = [`${this.inChannels}, ${this.outChannels}`, `k${kh === kw ? kh : `${kh}x${kw}`}`];
    if (this.stride[0] !== 1 || this.stride[1] !== 1) parts.push(`s${this.stride[0] === this.stride[1] ? this.stride[0] : this.stride.join('x')}`);
    if (this.padding[0] || this.padding[1]) parts.push(`p${this.padding[0] === this.padding[1] ? this.padding[0] : this.padding.join('x')}`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) parts.push(`d${this.dilation.join('x')}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    return `Conv2d(${parts.join(', ')})`;
  }
}
