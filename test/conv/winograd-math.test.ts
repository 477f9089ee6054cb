// Winograd's F(m, r) matrices (src/tensor/ops/conv2d/winograd_matrices.ts), in float64: the transformed
// correlation equals the direct one for every tile size the conv kernels use, and the
// float32 rounding error of the chosen points stays small.
import { describe, expect, it } from 'vitest';
import { winograd1D, winogradCorrelate1D, winogradMaxAlpha, winogradSaving, winogradTileFor } from '../../src/tensor/ops/conv2d/winograd_matrices.js';
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
  it('chooses alpha = 6 tiles (7 for 5 taps) and counts the saving with the edge overhang', () => {
    expect([1, 2, 3, 4, 5].map((r) => winogradTileFor(r))).toEqual([1, 5, 4, 3, 3]);
    expect([2, 3, 4, 5].map(winogradMaxAlpha)).toEqual([6, 6, 6, 7]);
    // given the outputs, the tile that needs the fewest transform points, overhang counted:
    // 6 outputs of 3 taps: F(3, 3) twice (10 points) beats F(4, 3) twice (12) and F(2, 3) three times (12)
    expect([2, 3, 4, 6, 13, 30, 55].map((o) => winogradTileFor(3, o))).toEqual([2, 3, 4, 3, 4, 4, 4]);
    // 5 taps: F(3, 5) (alpha 7) where it needs fewer points, F(2, 5) for 4 outputs (12 < 14)
    expect([1, 2, 4, 5, 14, 27].map((o) => winogradTileFor(5, o))).toEqual([1, 2, 2, 3, 3, 3]);
    expect(winogradSaving(3, 3, 6, 6)).toBeCloseTo((9 * 36) / (25 * 4), 10);
    // AlexNet conv3-5 (3x3 on 13x13): 9*169 / (36 * 16 tiles) = 2.64
    expect(winogradSaving(3, 3, 13, 13)).toBeCloseTo((9 * 169) / (36 * 16), 10);
    // conv2 (5x5 on 27x27): 25*729 / (49 * 81 tiles of 3x3)
    expect(winogradSaving(5, 5, 27, 27)).toBeCloseTo((25 * 729) / (49 * 81), 10);
  });

  // The chosen tiles in float32: every product and sum rounded (Math.fround), a 2-D tile summed
  // over 256 channels like conv2-5, against float64.
  it('keeps the float32 error of F(3, 5) within 3x F(2, 5)\'s; F(5, 3) is worse against F(4, 3)', () => {
    const err = (m: number, r: number) => {
      const f = winograd1D(m, r);
      const a = f.alpha;
      const f32 = (v: ArrayLike<number>) => Float64Array.from(v, (e) => Math.fround(e));
      const [BT, G, AT] = [f32(f.BT), f32(f.G), f32(f.AT)];
      // Z = L X Rᵀ with float32 rounding after every multiply-add
      const sandwich = (L: Float64Array, X: Float64Array, rows: number, inner: number, Rm: Float64Array, cols: number, innerC: number) => {
        const t = new Float64Array(rows * innerC);
        for (let i = 0; i < rows; i++) for (let j = 0; j < innerC; j++) {
          let s = 0;
          for (let k = 0; k < inner; k++) s = Math.fround(s + Math.fround(L[i * inner + k]! * X[k * innerC + j]!));
          t[i * innerC + j] = s;
        }
        const z = new Float64Array(rows * cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let k = 0; k < innerC; k++) s = Math.fround(s + Math.fround(t[i * innerC + k]! * Rm[j * innerC + k]!));
          z[i * cols + j] = s;
        }
        return z;
      };
      let worst = 0;
      for (let trial = 0; trial < 4; trial++) {
        const C = 256;
        const M = new Float64Array(a * a);
        const want = new Float64Array(m * m);
        let scale = 0;
        for (let c = 0; c < C; c++) {
          const g = f32(randomArray(r * r, 100 + trial * C + c));
          const d = f32(randomArray(a * a, 9000 + trial * C + c));
          const U = sandwich(G, g, a, r, G, a, r);
          const V = sandwich(BT, d, a, a, BT, a, a);
          for (let i = 0; i < a * a; i++) M[i] = Math.fround(M[i]! + Math.fround(U[i]! * V[i]!));
          for (let y = 0; y < m; y++) for (let x = 0; x < m; x++) {
            let s = 0;
            for (let ky = 0; ky < r; ky++) for (let kx = 0; kx < r; kx++) s += g[ky * r + kx]! * d[(y + ky) * a + x + kx]!;
            want[y * m + x]! += s;
          }
        }
        const Y = sandwich(AT, M, m, a, AT, m, a);
        for (const w of want) scale = Math.max(scale, Math.abs(w));
        for (let i = 0; i < m * m; i++) worst = Math.max(worst, Math.abs(Y[i]! - want[i]!) / scale);
      }
      return worst;
    };
    // float32 error relative to the largest output, 4 tiles of 256 channels each:
    // F(3, 5) about 2x F(2, 5)'s, where F(5, 3) is 3-4x F(4, 3)'s (why 3 taps stay at alpha 6)
    const e25 = err(2, 5);
    const e35 = err(3, 5);
    expect(e35).toBeLessThan(2e-5);
    expect(e35).toBeLessThan(3 * e25);
    expect(err(5, 3)).toBeGreaterThan(2.5 * err(4, 3));
  });
});
