// Winograd's F(m, r) matrices (src/tensor/ops/conv2d/winograd_matrices.ts), in float64: the transformed
// correlation equals the direct one for every tile size the conv kernels use, and the
// float32 rounding error of the chosen points stays small.
import { describe, expect, it } from 'vitest';
import { winograd1D, winogradCorrelate1D, winogradSaving, winogradTileFor } from '../../src/tensor/ops/conv2d/winograd_matrices.js';
import { randomArray } from '../helpers/check.js';

describe('Winograd F(m, r) matrices (pure, float64)', () => {
  const sizes: Array<[number, number]> = [[1, 1], [2, 1], [1, 2], [2, 3], [4, 3], [3, 4], [2, 5], [5, 2], [3, 3], [4, 5], [1, 6]];
  for (const [m, r] of sizes) {
    it(`F(${m}, ${r}) computes the correlation y_i = sum_k g_k x_(i+k)`, () => {
      const f = winograd1D(m, r);
      expect(f.alpha).toBe(m + r - 1);
      for (let trial = 0; trial < 5; trial++) {
        const g = randomArray(r, 10 + trial);
        const x = randomArray(f.alpha, 20 + trial);
        const y = winogradCorrelate1D(f, g, x);
        for (let i = 0; i < m; i++) {
          let want = 0;
          for (let k = 0; k < r; k++) want += g[k]! * x[i + k]!;
          expect(Math.abs(y[i]! - want)).toBeLessThan(1e-12 * (1 + Math.abs(want)) * 64);
        }
      }
    });
  }
  it('rejects tiles past alpha = 8 and non-integers', () => {
    expect(() => winograd1D(6, 5)).toThrow(/alpha = 10/);
    expect(() => winograd1D(0, 3)).toThrow(/positive integers/);
  });
  it('chooses alpha = 6 tiles and counts the saving with the edge overhang', () => {
    expect([1, 2, 3, 4, 5].map((r) => winogradTileFor(r))).toEqual([1, 5, 4, 3, 2]);
    // given the outputs, the tile that needs the fewest transform points, overhang counted:
    // 6 outputs of 3 taps: F(3, 3) twice (10 points) beats F(4, 3) twice (12) and F(2, 3) three times (12)
    expect([2, 3, 4, 6, 13, 30, 55].map((o) => winogradTileFor(3, o))).toEqual([2, 3, 4, 3, 4, 4, 4]);
    expect([14, 27].map((o) => winogradTileFor(5, o))).toEqual([2, 2]);
    expect(winogradSaving(3, 3, 6, 6)).toBeCloseTo((9 * 36) / (25 * 4), 10);
    // AlexNet conv3-5 (3x3 on 13x13): 9*169 / (36 * 16 tiles) = 2.64
    expect(winogradSaving(3, 3, 13, 13)).toBeCloseTo((9 * 169) / (36 * 16), 10);
    // conv2 (5x5 on 27x27): 25*729 / (36 * 196)
    expect(winogradSaving(5, 5, 27, 27)).toBeCloseTo((25 * 729) / (36 * 196), 10);
  });
});
