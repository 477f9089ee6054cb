// SPDX-License-Identifier: MIT
// The seeded inputs of the oracle checks (tests, benchmarks, the browser kernel lab): the
// same seed gives the same numbers everywhere.

import { mulberry32 } from '../rng.js';

/** n deterministic pseudo-random numbers, uniform in [lo, hi) (mulberry32), as float64. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const next = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}
