// SPDX-License-Identifier: MIT
// Adam and AdamW with bias correction and AMSGrad: PyTorch's torch.optim.Adam / AdamW.
// Kernel: src/kernels/wgsl/optim/adam.wgsl (the bias corrections are computed here in float64).

import { grid, range, vec4Ranges } from '../tensor/ops/util.js';
import type { Tensor } from '../tensor/index.js';
import { Optimizer, VEC4_PER_INVOCATION, type OptimizerParams } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  /** decay only weights with 2+ dimensions, not biases nor BatchNorm parameters (default false: all) */
  decayOnlyWeights?: boolean;
  /** keep parameters, gradients and state in flat arenas: a few update dispatches per step (default true) */
  flat?: boolean;
}

export class Adam extends Optimizer {
  protected readonly kind: string = 'Adam';
  protected readonly decoupled: boolean = false;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;

  constructor(params: OptimizerParams, opts: AdamOptions = {}) {
    super(params, opts.lr ?? 1e-3, opts.flat ?? true);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.amsgrad = opts.amsgrad ?? false;
    this.decayOnlyWeights = opts.decayOnlyWeights ?? false;
  }

  protected override get decayRate(): number {
    return this.weightDecay;
  }

  protected override get decoupledDecay(): boolean {
    return this.decoupled;
  }

  get hyper() {
    return {
      lr: this.lr, betas: [...this.betas], eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad,
      decayOnlyWeights: this.decayOnlyWeights,
    };
  }

  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    this.lr = Number(h.lr ?? this.lr);
    if (Array.isArray(h.betas)) this.betas = [h.betas[0]!, h.betas[1]!];
    this.eps = Number(h.eps ?? this.eps);
    this.weightDecay = Number(h.weightDecay ?? this.weightDecay);
    this.amsgrad = Boolean(h.amsgrad ?? this.amsgrad);
    if (h.decayOnlyWeights !== undefined) this.decayOnlyWeights = Boolean(h.decayOnlyWeights);
  }

  protected update(p: Tensor, g: Tensor, state: (name: string) => Tensor, t: number): void {
    const d = p.device;
    const [b1, b2] = this.betas;
    const stepSize = this.lr / (1 - b1 ** t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    const m = state('exp_avg');
    const v = state('exp_avg_sq');
    const vmax = this.amsgrad ? state('max_exp_avg_sq') : this.scratch(d);
    const bindings = (s: number, n: number) =>
      [range(g, s, n), range(p, s, n), range(m, s, n), range(v, s, n), this.amsgrad ? range(vmax, s, n) : range(vmax, 0, 4)];
    const params = (n: number) =>
      [{ u: n }, { f: this.lr }, { f: b1 }, { f: b2 }, { f: this.eps }, { f: this.kernelDecay }, { f: stepSize }, { f: bc2Sqrt }];
    const constants = { AMSGRAD: this.amsgrad ? 1 : 0, DECOUPLED: this.decoupled ? 1 : 0 };
    // four at a time (adam_vec4.wgsl) up to the last multiple of 64 elements, the rest one by one
    const { vec4, rest } = vec4Ranges(d, p.size);
    for (const [s, n] of vec4) d.dispatch('optim/adam_vec4.wgsl', bindings(s, n), params(n / 4), grid(Math.ceil(n / 4 / VEC4_PER_INVOCATION)), { ...constants, PER: VEC4_PER_INVOCATION });
    if (rest) d.dispatch('optim/adam.wgsl', bindings(rest[0], rest[1]), params(rest[1]), grid(rest[1]), constants);
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter): p ← p·(1 − lr·wd) before the Adam step. Default wd 0.01. */
export class AdamW extends Adam {
  protected override readonly kind: string = 'AdamW';
  protected override readonly decoupled: boolean = true;

  constructor(params: OptimizerParams, opts: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...opts });
  }
}
