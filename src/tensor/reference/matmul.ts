// SPDX-License-Identifier: MIT
// The float64 CPU oracle of matmul: C = op(A)·op(B) (+ bias, ReLU), batched. One function
// gives one value; the whole product is that function at every index. The tests compare
// every matmul version with the whole product; the benchmark (bench/matmul.ts) and the
// browser kernel lab evaluate sampled elements of big products.

export interface MatmulRefOptions {
  /** A stored as [K, M] */
  transA?: boolean;
  /** B stored as [N, K] */
  transB?: boolean;
  bias?: ArrayLike<number>;
  relu?: boolean;
}

/** C[z, i, j] = Σ_p op(A)[z, i, p] · op(B)[z, p, j] (+ bias[j], ReLU). */
export function matmulRefAt(
  a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number, z: number, i: number, j: number, opts: MatmulRefOptions = {},
): number {
  let s = 0;
  for (let p = 0; p < k; p++) {
    const av = opts.transA ? a[z * k * m + p * m + i]! : a[z * m * k + i * k + p]!;
    const bv = opts.transB ? b[z * n * k + j * k + p]! : b[z * k * n + p * n + j]!;
    s += av * bv;
  }
  if (opts.bias) s += opts.bias[j]!;
  return opts.relu ? Math.max(s, 0) : s;
}

/** The whole product C [batch, M, N]. */
export function matmulRef(
  a: ArrayLike<number>, b: ArrayLike<number>, batch: number, m: number, n: number, k: number, opts: MatmulRefOptions = {},
): Float64Array {
  const c = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[z * m * n + i * n + j] = matmulRefAt(a, b, m, n, k, z, i, j, opts);
  }
  return c;
}
