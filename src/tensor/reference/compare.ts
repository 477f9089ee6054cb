// SPDX-License-Identifier: MIT
// How far a float32 result is from its float64 oracle, as one number.

/** max |actual − expected| / max(|expected|, floor) over all elements (NaN counts as Infinity). */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-3): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!) / Math.max(Math.abs(expected[i]!), floor);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

/**
 * max |got − oracle| / max(|oracle|, floor · max|got|) over `samples` elements of `got`
 * (row-major, dimensions `dims`) picked by a fixed seed: for outputs too large for a full
 * float64 oracle. `oracle` takes the element's index along each dimension.
 */
export function sampledRelError(
  got: ArrayLike<number>, dims: readonly number[], samples: number, oracle: (...idx: number[]) => number, seed: number, floor = 1e-3,
): number {
  let scale = 0;
  for (let i = 0; i < got.length; i++) scale = Math.max(scale, Math.abs(got[i]!));
  let state = seed >>> 0;
  let worst = 0;
  for (let t = 0; t < samples; t++) {
    let flat = 0;
    const idx = dims.map((d) => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const v = Math.floor((state / 2 ** 32) * d);
      flat = flat * d + v;
      return v;
    });
    const e = oracle(...idx);
    const d = Math.abs(got[flat]! - e) / Math.max(Math.abs(e), floor * scale);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}
