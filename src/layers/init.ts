// SPDX-License-Identifier: MIT
// Weight initialisers, PyTorch's torch.nn.init formulas, drawn on the GPU from a seed
// (init/random.wgsl: the same seed gives the same numbers on every device).
//
//   fan_in  = shape[1] * receptive field   (Conv2d [out, in/groups, kh, kw]: in/groups*kh*kw; Linear [out, in]: in)
//   fan_out = shape[0] * receptive field
//   kaiming (He):   std = gain / sqrt(fan),  gain = sqrt(2 / (1 + a^2))  (a = 0: ReLU)
//                   normal(0, std), or uniform(±sqrt(3)·std)
//   xavier (Glorot): std = sqrt(2 / (fan_in + fan_out)); normal(0, std) or uniform(±sqrt(3)·std)
//   'pytorch' (the default of nn.Conv2d and nn.Linear): kaiming_uniform with a = sqrt(5),
//                   i.e. uniform(±1/sqrt(fan_in)); the bias is uniform(±1/sqrt(fan_in)) too.

import { fill_, nextSeed, rand, randn, Tensor, type Shape } from '../tensor/index.js';

/** How to initialise a weight. 'he-*' and 'glorot-*' are aliases of 'kaiming-*' and 'xavier-*'. */
export type WeightInit =
  | 'pytorch'
  | 'kaiming-normal' | 'kaiming-uniform' | 'he-normal' | 'he-uniform'
  | 'xavier-normal' | 'xavier-uniform' | 'glorot-normal' | 'glorot-uniform'
  | { normal: number; mean?: number }
  | { uniform: number }
  | { constant: number }
  /** leave the values undefined (weights about to be loaded from a file) */
  | 'none';

/** How to initialise a bias: 'pytorch' (uniform ±1/sqrt(fan_in)), a constant, or a weight rule. */
export type BiasInit = 'pytorch' | number | { normal: number } | { uniform: number } | 'none';

export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fans: need a weight of rank >= 2, got [${shape.join(', ')}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** A new weight tensor of `shape` initialised by `rule`. */
export function initWeight(shape: Shape, rule: WeightInit, seed: number = nextSeed()): Tensor {
  if (rule === 'none') return Tensor.empty(shape);
  if (typeof rule === 'object') {
    if ('normal' in rule) return randn(shape, { mean: rule.mean ?? 0, std: rule.normal, seed });
    if ('uniform' in rule) return rand(shape, { low: -rule.uniform, high: rule.uniform, seed });
    return fill_(Tensor.empty(shape), rule.constant);
  }
  const { fanIn, fanOut } = fans(shape);
  switch (rule) {
    case 'pytorch':
      return rand(shape, { low: -1 / Math.sqrt(fanIn), high: 1 / Math.sqrt(fanIn), seed });
    case 'kaiming-normal':
    case 'he-normal':
      return randn(shape, { std: Math.sqrt(2 / fanIn), seed });
    case 'kaiming-uniform':
    case 'he-uniform': {
      const bound = Math.sqrt(3) * Math.sqrt(2 / fanIn);
      return rand(shape, { low: -bound, high: bound, seed });
    }
    case 'xavier-normal':
    case 'glorot-normal':
      return randn(shape, { std: Math.sqrt(2 / (fanIn + fanOut)), seed });
    case 'xavier-uniform':
    case 'glorot-uniform': {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      return rand(shape, { low: -bound, high: bound, seed });
    }
  }
}

/** A new bias of `n` values; `fanIn` is the weight's (for the 'pytorch' rule). */
export function initBias(n: number, fanIn: number, rule: BiasInit, seed: number = nextSeed()): Tensor {
  if (rule === 'none') return Tensor.empty([n]);
  if (typeof rule === 'number') return fill_(Tensor.empty([n]), rule);
  if (rule === 'pytorch') {
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    return rand([n], { low: -bound, high: bound, seed });
  }
  if ('normal' in rule) return randn([n], { std: rule.normal, seed });
  return rand([n], { low: -rule.uniform, high: rule.uniform, seed });
}
