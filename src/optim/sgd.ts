// SPDX-License-Identifier: MIT
// SGD with momentum, dampening, Nesterov and (coupled) weight decay: PyTorch's torch.optim.SGD.
// Kernel: src/kernels/wgsl/optim/sgd.wgsl.

import { grid, range, vec4Ranges } from '../tensor/ops/util.js';
import type { Tensor } from '../tensor/index.js';
import { Optimizer, VEC4_PER_INVOCATION, type OptimizerParams } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /** decay only weights with 2+ dimensions, not biases nor BatchNorm parameters (default false: all) */
  decayOnlyWeights?: boolean;
  /** keep parameters, gradients and state in flat arenas: a few update dispatches per step (default true) */
  flat?: boolean;
}

export class SGD extends Optimizer {
  protected readonly kind = 'SGD';
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;

  constructor(params: OptimizerParams, opts: SGDOptions) {
    super(params, opts.lr, opts.flat ?? true);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decayOnlyWeights = opts.decayOnlyWeights ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }

  get hyper() {
    return {
      lr: this.lr, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay,
      decayOnlyWeights: this.decayOnlyWeights,
    };
  }

  protected override get decayRate(): number {
    return this.weightDecay;
  }

  protected setHyper(h: Record<string, number | boolean | number[]>): void {
    this.lr = Number(h.lr ?? this.lr);
    this.momentum = Number(h.momentum ?? this.momentum);
    this.dampening = Number(h.dampening ?? this.dampening);
    this.nesterov = Boolean(h.nesterov ?? this.nesterov);
    this.weightDecay = Number(h.weightDecay ?? this.weightDecay);
    if (h.decayOnlyWeights !== undefined) this.decayOnlyWeights = Boolean(h.decayOnlyWeights);
  }

  protected update(p: Tensor, g: Tensor, state: (name: string) => Tensor, step: number): void {
    const d = p.device;
    const useMomentum = this.momentum !== 0;
    const buf = useMomentum ? state('momentum_buffer') : this.scratch(d);
    const first = useMomentum && step === 1 ? 1 : 0;
    const params = (n: number) => [{ u: n }, { f: this.lr }, { f: this.momentum }, { f: this.dampening }, { f: this.kernelDecay },
      { u: this.nesterov ? 1 : 0 }, { u: first }, { u: 0 }];
    const constants = { MOMENTUM: useMomentum ? 1 : 0 };
    // four at a time (sgd_vec4.wgsl) up to the last multiple of 64 elements, the rest one by one
    const { vec4, rest } = vec4Ranges(d, p.size);
    for (const [s, n] of vec4) {
      d.dispatch('optim/sgd_vec4.wgsl',
        [range(g, s, n), range(p, s, n), useMomentum ? range(buf, s, n) : range(buf, 0, 4)],
        params(n / 4), grid(Math.ceil(n / 4 / VEC4_PER_INVOCATION)), { ...constants, PER: VEC4_PER_INVOCATION });
    }
    if (rest) {
      const [s, n] = rest;
      d.dispatch('optim/sgd.wgsl',
        [range(g, s, n), range(p, s, n), useMomentum ? range(buf, s, n) : range(buf, 0, 4)],
        params(n), grid(n), constants);
    }
  }
}
