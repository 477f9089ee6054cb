// Comparison helpers: float64 references, closeness with atol + |ref| * rtol, and a
// finite-difference gradient check.
import { expect } from 'vitest';

// the seeded inputs and the error measure are the oracles' own (shared with the benchmarks)
export { maxRelError, randomArray } from '../../src/tensor/reference/index.js';

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Expects |actual - expected| <= atol + |expected| * rtol everywhere; on failure prints the
 * worst elements and the maximum difference.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  opts: { atol?: number; rtol?: number; name?: string } = {},
): void {
  const { atol = 1e-5, rtol = 1e-4, name = 'tensor' } = opts;
  expect(actual.length, `${name}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  let maxDiff = 0;
  let bad = 0;
  const samples: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const diff = Math.abs(a - e);
    maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Infinity : diff);
    const tol = atol + Math.abs(e) * rtol;
    if (!(diff <= tol)) {
      bad++;
      if (samples.length < 5) samples.push(`[${i}] got ${a}, expected ${e}`);
      const excess = Number.isNaN(diff) ? Infinity : diff - tol;
      if (excess > worstExcess || worst < 0) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (bad > 0) {
    throw new Error(`${name}: ${bad}/${expected.length} elements differ (max |diff| ${maxDiff}, atol ${atol}, rtol ${rtol}):\n  ${samples.join('\n  ')}`);
  }
}

/**
 * Numerical gradients of L(x_1..x_n) = sum(f(x) * w) for every input, by central
 * differences in float64 on the CPU reference f.
 */
export function numericGrads(
  f: (...xs: Float64Array[]) => ArrayLike<number>,
  inputs: Float64Array[],
  w: ArrayLike<number>,
  eps = 1e-6,
): Float64Array[] {
  const loss = () => {
    const y = f(...inputs);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * w[i]!;
    return s;
  };
  return inputs.map((x) => {
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const old = x[i]!;
      x[i] = old + eps;
      const up = loss();
      x[i] = old - eps;
      const down = loss();
      x[i] = old;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  });
}
