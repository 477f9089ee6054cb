// SPDX-License-Identifier: MIT
// Deterministic, platform-independent "random" values that TypeScript and Python (numpy, in
// scripts/make-fixtures.py) compute bit-identically. The full-model parity fixtures use them
// instead of storing 61M AlexNet weights: both sides generate the same parameters from their names.
//
//   seedOf(name)     = FNV-1a 32-bit of the UTF-8 bytes of name
//   hash32(x)        = lowbias32(x): x ^= x >>> 16; x *= 0x7feb352d; x ^= x >>> 15;
//                                    x *= 0x846ca68b; x ^= x >>> 16        (all uint32)
//   u(i)             = hash32(i ^ seedOf(name)) / 2^32                    (float64, exact)
//   value[i]         = float32(scale * (u(i) * 2 - 1))                    (one rounding, float64 -> float32)
//
// u(i) * 2 - 1 is exact in float64, so the only roundings are the float64 product and the final
// float32 conversion, both IEEE round-to-nearest-even in JavaScript and numpy alike.
// The scale rule of the fixtures is hashInitScale below (the same rule is written in the script).
// This file never imports a Node module.

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit hash of the UTF-8 bytes of `name`. */
export function seedOf(name: string): number {
  let h = FNV_OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(name)) {
    h = Math.imul(h ^ byte, FNV_PRIME) >>> 0;
  }
  return h;
}

/** lowbias32 (Chris Wellons' 32-bit integer hash); input and output are uint32. */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** `numel` values uniform in [-scale, scale), determined by `name` alone (see the file header). */
export function hashInit(name: string, numel: number, scale: number): Float32Array {
  if (!Number.isSafeInteger(numel) || numel < 0 || numel > 2 ** 32) {
    throw new RangeError(`hashInit("${name}"): numel must be an integer in [0, 2^32], got ${numel}`);
  }
  const seed = seedOf(name);
  const out = new Float32Array(numel);
  for (let i = 0; i < numel; i++) {
    out[i] = scale * ((hash32((i ^ seed) >>> 0) / 2 ** 32) * 2 - 1);
  }
  return out;
}

/** The weight-scale rule of the fixtures: 1/sqrt(fan_in) for weights (rank >= 2), 0.05 for biases (rank 1). */
export function hashInitScale(shape: readonly number[]): number {
  if (shape.length === 1) return 0.05;
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  return 1 / Math.sqrt(fanIn);
}

/**
 * The fixtures' sampled flat indices of a tensor named `name` with `numel` elements:
 * index 0 is 0, index 1 is numel - 1, and index k >= 2 is hash32(k ^ seedOf("sample:" + name)) % numel.
 * Indices may repeat for small tensors.
 */
export function sampleIndices(name: string, numel: number, count: number): Int32Array {
  if (!Number.isSafeInteger(numel) || numel < 1 || numel > 2 ** 31) {
    throw new RangeError(`sampleIndices("${name}"): numel must be an integer in [1, 2^31], got ${numel}`);
  }
  const seed = seedOf(`sample:${name}`);
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    out[k] = k === 0 ? 0 : k === 1 ? numel - 1 : hash32((k ^ seed) >>> 0) % numel;
  }
  return out;
}
