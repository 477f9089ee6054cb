// SPDX-License-Identifier: MIT
// CPU-side seeded randomness shared by the data pipeline (shuffles, augmentation), fit()
// (per-epoch seeds) and the demo's image generator. GPU random numbers (rand/randn,
// dropout) use the counter-based hash in src/kernels/wgsl/init/random.wgsl instead.

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes integers (seed, epoch, sample index, ...) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = fmix32((h ^ fmix32(p >>> 0)) + 0x6a09e667);
  return h;
}

/** mulberry32: a small, fast PRNG giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
