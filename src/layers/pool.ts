// SPDX-License-Identifier: MIT
// Pooling layers over NCHW images (no parameters): MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.

import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../tensor/ops/pool.js';
import type { Shape, Tensor } from '../tensor/index.js';
import { Module } from './module.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const fmt = (p: [number, number]) => (p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`);

function pooledShape(op: string, s: Shape, k: [number, number], st: [number, number], p: [number, number]): number[] {
  if (s.length !== 4) throw new Error(`${op}: input must be NCHW, got [${s.join(', ')}]`);
  const oh = Math.floor((s[2]! + 2 * p[0] - k[0]) / st[0]) + 1;
  const ow = Math.floor((s[3]! + 2 * p[1] - k[1]) / st[1]) + 1;
  if (oh < 1 || ow < 1) throw new Error(`${op}: input [${s.join(', ')}] is smaller than the ${fmt(k)} window`);
  return [s[0]!, s[1]!, oh, ow];
}

abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Pair, stride?: Pair, padding: Pair = 0) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(stride ?? kernelSize);
    this.padding = pair(padding);
  }

  protected get opts() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding } as const;
  }

  override outputShape(s: Shape): number[] {
    return pooledShape(this.constructor.name, s, this.kernelSize, this.stride, this.padding);
  }

  /** one comparison or addition per window element */
  override flops(s: Shape): number {
    const o = this.outputShape(s);
    return o[1]! * o[2]! * o[3]! * this.kernelSize[0] * this.kernelSize[1];
  }

  override describe(): string {
    const pad = this.padding[0] || this.padding[1] ? `, p${fmt(this.padding)}` : '';
    return `${this.constructor.name}(${fmt(this.kernelSize)}, s${fmt(this.stride)}${pad})`;
  }
}

/** Max over each window; padding counts as -inf. PyTorch's nn.MaxPool2d (ceil_mode false). */
export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.opts);
  }
}

/** Mean over each window; padded zeros count in the divisor (PyTorch's default). */
export class AvgPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.opts);
  }
}

/** Averages into a fixed output size with PyTorch's windows (floor(i·H/oh) .. ceil((i+1)·H/oh)). */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize);
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override outputShape(s: Shape): number[] {
    if (s.length !== 4) throw new Error(`AdaptiveAvgPool2d: input must be NCHW, got [${s.join(', ')}]`);
    return [s[0]!, s[1]!, ...this.outputSize];
  }

  override flops(s: Shape): number {
    // each output averages a window of about (H/oh + 1) x (W/ow + 1) inputs
    const wh = Math.ceil(s[2]! / this.outputSize[0]) + 1;
    const ww = Math.ceil(s[3]! / this.outputSize[1]) + 1;
    return s[1]! * this.outputSize[0] * this.outputSize[1] * Math.min(wh, s[2]!) * Math.min(ww, s[3]!);
  }

  override describe(): string {
    return `AdaptiveAvgPool2d(${this.outputSize.join(', ')})`;
  }
}
