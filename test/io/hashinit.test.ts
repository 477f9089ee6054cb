// SPDX-License-Identifier: MIT
// hashInit must match scripts/make-fixtures.py bit for bit: the expected values below were
// printed by the script's numpy implementation (the fixture files check many more).
import { describe, expect, it } from 'vitest';

import { hash32, hashInit, hashInitScale, sampleIndices, seedOf } from '../../src/io/hashinit.js';

const bitsOf = (values: Float32Array): number[] => Array.from(new Uint32Array(values.buffer));

describe('hashinit', () => {
  it('seedOf is FNV-1a 32-bit over UTF-8', () => {
    expect(seedOf('')).toBe(0x811c9dc5);
    expect(seedOf('a')).toBe(0xe40c292c);
    expect(seedOf('features.0.weight')).toBe(0xebe83bf6);
    expect(seedOf('größe')).toBe(0xcd38f49a);
  });

  it('hash32 is lowbias32 on uint32', () => {
    expect([0, 1, 2, 0xffffffff].map(hash32)).toEqual([0x0, 0x688990c0, 0xd1132181, 0x6768824a]);
  });

  it('hashInit reproduces the numpy values bit for bit', () => {
    const values = hashInit('features.0.weight', 6, 1 / Math.sqrt(363));
    expect(bitsOf(values)).toEqual([0x3a22ef2c, 0xbce47b01, 0xbd0c700b, 0xbcfe6d54, 0x3ca4efdd, 0xbc8b4718]);
  });

  it('hashInit stays within [-scale, scale) and depends on the name', () => {
    const a = hashInit('a', 10_000, 0.5);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...a)).toBeLessThan(0.5);
    expect(Math.abs(a.reduce((s, v) => s + v, 0) / a.length)).toBeLessThan(0.02);
    expect(hashInit('b', 4, 0.5)).not.toEqual(a.subarray(0, 4));
    expect(() => hashInit('a', -1, 1)).toThrow(/numel/);
  });

  it('hashInitScale: 1/sqrt(fan_in) for weights, 0.05 for biases', () => {
    expect(hashInitScale([64, 3, 11, 11])).toBe(1 / Math.sqrt(363));
    expect(hashInitScale([4096, 9216])).toBe(1 / 96);
    expect(hashInitScale([4096])).toBe(0.05);
  });

  it('sampleIndices: first, last, then hashed', () => {
    expect(Array.from(sampleIndices('x', 100, 6))).toEqual([0, 99, 72, 43, 63, 3]);
    expect(Array.from(sampleIndices('classifier.6.bias', 10, 8))).toEqual([0, 9, 3, 3, 7, 2, 4, 2]);
  });
});
