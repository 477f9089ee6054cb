// float64 reference: C = op(A)·op(B) (+ bias, ReLU), batched.
export function matmulRef(
  a: Float64Array, b: Float64Array, batch: number, m: number, n: number, k: number,
  opts: { transA?: boolean; transB?: boolean; bias?: Float64Array; relu?: boolean } = {},
): Float64Array {
  const c = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = opts.transA ? a[z * k * m + p * m + i]! : a[z * m * k + i * k + p]!;
          const bv = opts.transB ? b[z * n * k + j * k + p]! : b[z * k * n + p * n + j]!;
          s += av * bv;
        }
        if (opts.bias) s += opts.bias[j]!;
        if (opts.relu) s = Math.max(s, 0);
        c[z * m * n + i * n + j] = s;
      }
    }
  }
  return c;
}
