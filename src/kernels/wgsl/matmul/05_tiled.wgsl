// matmul/05_tiled.wgsl — C = A·B with 128x128 tiles staged in workgroup memory. For GPUs.
//
// Math:     as 01_naive.wgsl:  C[z, m, n] = alpha * sum_k A[z, m, k] * B[z, k, n]  (+ C if
//           ACCUMULATE), then + bias, then ReLU (EPILOGUE 1 / 2). Three additions that the
//           convolution's GEMMs (conv2d version 05_tiled_gemm) need:
//           - BIAS_ROW: the bias is indexed by the row, bias[bias_off + m] (a conv's output
//             channel is the row of W·col) instead of by the column, bias[n].
//           - split-K: when k_total > 0, z is a slice of K, not a batch index: slice z sums
//             k in [z*K, min(k_total, (z+1)*K)) and writes its partial into C's z-th block;
//             the host sums the partials in slice order afterwards (no atomics).
//           - a folded store: when fold > 0, column n of C is stored at
//             (n / fold) * c_sf + n % fold, so a GEMM over all N*OH*OW pixels of a batch writes
//             NCHW directly (fold = OH*OW, c_sf = K*OH*OW).
// Layout:   element strides, as in 01 (A[z,m,k] = a[a_off + z*a_sb + m*a_sm + k*a_sk], ...).
//           TA: A is stored k-major (a_sm = 1), so 128 consecutive invocations load 128
//           consecutive m; otherwise they load 8 consecutive k of 32 rows. TB likewise for B.
// Threads:  a 16x16 workgroup computes one 128x128 tile of C; invocation (tx, ty) owns the
//           8x8 outputs in rows {ty*4 .. +3, 64 + ty*4 .. +3} and columns {tx*4 .. +3,
//           64 + tx*4 .. +3}: four 4x4 quadrants, so that the vec4 reads from workgroup
//           memory by the 16 invocations of a row are consecutive.
// Work:     per K step of 8: each invocation loads 4 elements of A and 4 of B into workgroup
//           memory, then 8 x (4 vec4 reads, 64 FMAs) = 512 FMAs per 8 loads from memory
//           (01 does 1 FMA per 2 loads, 02 16 per 8, 03 64 per 8 vec4 loads).
// Memory:   two tiles of 8 x 128 floats in workgroup memory (as_, bs), each row padded by one
//           vec4 (33 vec4 per row) so that the stores of 8 consecutive k by 4 rows hit 32
//           different banks. 8.4 KB per workgroup; two barriers per K step.
// Bounds:   elements outside [M, K) or [K, N) are stored as 0 in workgroup memory, so any
//           M, N, K work; outputs outside [M, N) are not stored.
// Changed from 03: the data a workgroup shares (a 128-row strip of A and a 128-column strip
//           of B) is read from memory once per workgroup instead of once per invocation, and
//           the block per invocation grows from 4x4 to 8x8. On an NVIDIA H100 this is what
//           made the convolutions an order of magnitude faster. On lavapipe it also wins for
//           big square-ish GEMMs (the tile is a cache block), but not for convolutions
//           through an im2col buffer (03_implicit_gemm is faster there), so the selectors
//           use it per shape and adapter (figures: BENCHMARKS.md, "Kernel design measurements").

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = 0u;      // 0 none, 1 + bias, 2 + bias then ReLU
override BIAS_ROW: bool = false;  // bias[bias_off + m] instead of bias[n]
override TA: bool = false;
override TB: bool = false;

const BM = 128u;
const BN = 128u;
const BK = 8u;
const ROW = 33u;  // vec4 per row of a tile in workgroup memory: 128 / 4 + 1 of padding

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
  c_sm: u32, a_sb: u32, b_sb: u32, c_sb: u32,
  a_off: u32, b_off: u32, c_off: u32, alpha: f32,
  fold: u32, c_sf: u32, k_total: u32, bias_off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> as_: array<vec4f, 264>;  // As[k][m]: as_[k * ROW + m / 4][m % 4]
var<workgroup> bs: array<vec4f, 264>;   // Bs[k][n]: bs[k * ROW + n / 4][n % 4]

// acc[2*r + h] = C[row r of the 8, columns of quadrant h (0: tx*4.., 1: 64+tx*4..)]
fn fma_row(acc: ptr<function, array<vec4f, 16>>, r: u32, av: f32, b_lo: vec4f, b_hi: vec4f) {
  (*acc)[2u * r] = fma(vec4f(av), b_lo, (*acc)[2u * r]);
  (*acc)[2u * r + 1u] = fma(vec4f(av), b_hi, (*acc)[2u * r + 1u]);
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * 16u + tx;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let z = wid.z;
  var k_begin = 0u;
  var k_end = p.k;
  if (p.k_total > 0u) {
    k_begin = z * p.k;
    k_end = min(p.k_total, k_begin + p.k);
  }
  let a0 = p.a_off + z * p.a_sb;
  let b0 = p.b_off + z * p.b_sb;
  var acc: array<vec4f, 16>;

  for (var kt = k_begin; kt < k_end; kt += BK) {
    // stage A[m0 .. m0+127, kt .. kt+7] and B[kt .. kt+7, n0 .. n0+127]: 4 + 4 per invocation
    for (var i = 0u; i < 4u; i++) {
      let e = t + i * 256u;
      var mm = e / BK;
      var ka = e % BK;
      if (TA) { mm = e % BM; ka = e / BM; }
      var va = 0.0;
      if (m0 + mm < p.m && kt + ka < k_end) { va = a[a0 + (m0 + mm) * p.a_sm + (kt + ka) * p.a_sk]; }
      as_[ka * ROW + mm / 4u][mm % 4u] = va;
      var nn = e % BN;
      var kb = e / BN;
      if (TB) { nn = e / BK; kb = e % BK; }
      var vb = 0.0;
      if (n0 + nn < p.n && kt + kb < k_end) { vb = b[b0 + (kt + kb) * p.b_sk + (n0 + nn) * p.b_sn]; }
      bs[kb * ROW + nn / 4u][nn % 4u] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let a_lo = as_[kk * ROW + ty];        // rows ty*4 .. +3
      let a_hi = as_[kk * ROW + 16u + ty];  // rows 64 + ty*4 .. +3
      let b_lo = bs[kk * ROW + tx];         // columns tx*4 .. +3
      let b_hi = bs[kk * ROW + 16u + tx];   // columns 64 + tx*4 .. +3
      fma_row(&acc, 0u, a_lo.x, b_lo, b_hi);
      fma_row(&acc, 1u, a_lo.y, b_lo, b_hi);
      fma_row(&acc, 2u, a_lo.z, b_lo, b_hi);
      fma_row(&acc, 3u, a_lo.w, b_lo, b_hi);
      fma_row(&acc, 4u, a_hi.x, b_lo, b_hi);
      fma_row(&acc, 5u, a_hi.y, b_lo, b_hi);
      fma_row(&acc, 6u, a_hi.z, b_lo, b_hi);
      fma_row(&acc, 7u, a_hi.w, b_lo, b_hi);
    }
    workgroupBarrier();
  }

  // every acc index below is a constant: a run-time index into acc would move the whole
  // array out of registers into (slow) local memory
  let c0 = p.c_off + z * p.c_sb;
  let r_lo = m0 + ty * 4u;
  let r_hi = m0 + 64u + ty * 4u;
  let n_lo = n0 + tx * 4u;
  let n_hi = n0 + 64u + tx * 4u;
  store4(c0, r_lo, n_lo, acc[0]);       store4(c0, r_lo, n_hi, acc[1]);
  store4(c0, r_lo + 1u, n_lo, acc[2]);  store4(c0, r_lo + 1u, n_hi, acc[3]);
  store4(c0, r_lo + 2u, n_lo, acc[4]);  store4(c0, r_lo + 2u, n_hi, acc[5]);
  store4(c0, r_lo + 3u, n_lo, acc[6]);  store4(c0, r_lo + 3u, n_hi, acc[7]);
  store4(c0, r_hi, n_lo, acc[8]);       store4(c0, r_hi, n_hi, acc[9]);
  store4(c0, r_hi + 1u, n_lo, acc[10]); store4(c0, r_hi + 1u, n_hi, acc[11]);
  store4(c0, r_hi + 2u, n_lo, acc[12]); store4(c0, r_hi + 2u, n_hi, acc[13]);
  store4(c0, r_hi + 3u, n_lo, acc[14]); store4(c0, r_hi + 3u, n_hi, acc[15]);
}

// C[m, n .. n+3] = v (alpha, ACCUMULATE and the epilogue applied), skipping what is outside
fn store4(c0: u32, m: u32, n: u32, v: vec4f) {
  if (m >= p.m) { return; }
  store1(c0, m, n, v.x);
  store1(c0, m, n + 1u, v.y);
  store1(c0, m, n + 2u, v.z);
  store1(c0, m, n + 3u, v.w);
}

fn store1(c0: u32, m: u32, n: u32, acc: f32) {
  if (n >= p.n) { return; }
  var col = n;
  if (p.fold > 0u) { col = (n / p.fold) * p.c_sf + n % p.fold; }
  let ci = c0 + m * p.c_sm + col;
  var v = p.alpha * acc;
  if (ACCUMULATE) { v += c[ci]; }
  if (EPILOGUE >= 1u) {
    if (BIAS_ROW) { v += bias[p.bias_off + m]; } else { v += bias[n]; }
  }
  if (EPILOGUE == 2u) { v = max(v, 0.0); }
  c[ci] = v;
}
