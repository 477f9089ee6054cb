// SPDX-License-Identifier: MIT
// Dropout with a counter-based mask: element i is dropped when the hash of (seed, i) falls
// below p, so the same seed gives the same mask on any device, and the backward regenerates
// the mask from the seed instead of storing it. Kernel: src/kernels/wgsl/dropout/dropout.wgsl.

import { record, Tensor } from '../tensor.js';
import { nextSeed } from './elementwise.js';
import { assertFloat, flatChunks, grid, range } from './util.js';

export interface DropoutOptions {
  /** false: identity (evaluation) */
  training?: boolean;
  /** mask seed; default: the next seed of the global sequence (`manualSeed` makes it repeatable) */
  seed?: number;
}

/** The integer drop threshold on the hash's top 24 bits (shared with the CPU reference). */
export function dropoutThreshold(p: number): number {
  return Math.round(p * 2 ** 24);
}

/** y = mask * x / (1 - p) with mask[i] = 0 with probability p. No graph. */
function dropoutRaw(x: Tensor, p: number, seed: number): Tensor {
  const d = x.device;
  const y = Tensor.empty(x.shape, 'float32', d);
  const threshold = dropoutThreshold(p);
  const scale = p >= 1 ? 0 : 1 / (1 - p);
  for (const [s, n] of flatChunks(d, x.size)) {
    d.dispatch('dropout/dropout.wgsl', [range(x, s, n), range(y, s, n)],
      [{ u: n }, { u: seed }, { u: threshold }, { f: scale }, { u: s }, { u: 0 }, { u: 0 }, { u: 0 }], grid(n));
  }
  return y;
}

/**
 * Inverted dropout: zeroes each element with probability p and scales the rest by
 * 1 / (1 - p), so the expected value is unchanged. Identity (a view) when not training or
 * when p = 0; all zeros when p = 1. dx = dy * mask / (1 - p), with the mask regenerated
 * from the seed.
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  assertFloat('dropout', x);
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (opts.training === false || p === 0) return x.reshape(x.shape);
  const seed = (opts.seed ?? nextSeed()) >>> 0;
  // dx = the same mask and scale applied to dy
  return record(dropoutRaw(x, p, seed), 'dropout', [x], (dy) => [dropoutRaw(dy, p, seed)]);
}
