// SPDX-License-Identifier: MIT
// Sequential: children named "0", "1", ... (PyTorch's state_dict names), run in order.
// A layer with `forwardRelu` (Linear, Conv2d, BatchNorm2d/1d) followed by ReLU runs as ONE
// fused kernel (bias + ReLU in the GEMM's epilogue; batch norm's normalise-scale-shift and
// ReLU in one pass, the mask recomputed in its backward); the gradient is the same as for
// the two layers apart.

import type { Shape, Tensor } from '../tensor/index.js';
import { ReLU } from './activation.js';
import { Module } from './module.js';

/** A layer that can apply a following ReLU itself. */
export interface ReluFusable {
  forwardRelu(x: Tensor): Tensor;
}

function fusable(m: Module): m is Module & ReluFusable {
  return typeof (m as Partial<ReluFusable>).forwardRelu === 'function';
}

export class Sequential extends Module {
  private readonly layers: Module[] = [];
  /** fuse Linear/Conv2d/BatchNorm → ReLU pairs (default true) */
  fuseRelu = true;

  constructor(...layers: Module[]) {
    super();
    for (const l of layers) this.add(l);
  }

  /** Appends a layer under the next index name. */
  add(layer: Module): this {
    this.registerModule(String(this.layers.length), layer);
    this.layers.push(layer);
    return this;
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): Module {
    const m = this.layers[i < 0 ? this.layers.length + i : i];
    if (!m) throw new Error(`Sequential: no layer ${i} (it has ${this.layers.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i]!;
      const next = this.layers[i + 1];
      const x0 = y;
      if (this.fuseRelu && next instanceof ReLU && fusable(m)) {
        y = this.runChild(String(i), m, () => m.forwardRelu(x0));
        i++;
      } else {
        y = this.runChild(String(i), m, () => m.forward(x0));
      }
    }
    return y;
  }

  override outputShape(s: Shape): number[] {
    let cur = [...s];
    for (const m of this.layers) cur = m.outputShape(cur);
    return cur;
  }

  override flops(s: Shape): number {
    let total = 0;
    let cur = [...s];
    for (const m of this.layers) {
      total += m.flops(cur);
      cur = m.outputShape(cur);
    }
    return total;
  }

  override sequence(): [string, Module][] {
    return this.children;
  }

  override describe(): string {
    return `Sequential(${this.layers.length} layers)`;
  }
}
