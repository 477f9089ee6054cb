// matmul/04_splitk_dot.wgsl — C = A·Bᵀ for few rows (small batch): the K loop is shared
// out across the 64 invocations of a workgroup, then summed in workgroup memory.
//
// Math:     as 01_naive.wgsl (ACCUMULATE, EPILOGUE, strides), aimed at a Linear layer's
//           forward at small batch: y[m, n] = sum_k x[m, k] * W[n, k], M <= 8, K large.
// Why:      at batch 8, fc6 multiplies 8x9216 by a 4096x9216 weight: 151 MB of W, used only
//           8 times each. The time is reading W. In 02/03 the invocations of a subgroup
//           own different columns n, so they read W rows 36 KB apart (a gather per load).
//           Here the 64 invocations of a workgroup walk ALONG k together: invocation t reads
//           k = t, t+64, ... of the same rows, so neighbouring invocations read neighbouring
//           floats and W streams through memory once, in order.
// Threads:  workgroup (x, y) owns the output block rows 8y..8y+7, columns 4x..4x+3
//           (32 outputs). Invocation t (0..63) accumulates those 32 sums over its k's.
// Work:     per k: 8 loads of A (rows of x), 4 loads of W, 32 multiply-adds.
// Memory:   64 x 32 floats (8 KiB) of workgroup memory for the final tree reduction.
// Bounds:   rows and columns past the edge are clamped on load and not stored; the K loop
//           bound is the same for the whole workgroup, so the barriers stay uniform.
// Changed from 03: parallel over K inside a workgroup instead of over outputs, and a
//           reduction at the end.
// Measured (lavapipe, batch 8): faster than 03 as 03 first stood, when 03 ran 8x8
//           workgroups whose rows 8..31 were clamped duplicates; once 03 got flat
//           workgroups for small M (64x1, 32x2), 03 won on fc6/fc7/fc8
//           (figures: BENCHMARKS.md, "Kernel design measurements").
//           So the selector does not pick this version; it is kept, tested, as the example
//           of a K-split with a workgroup reduction, and for GPUs where it may win.

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = 0u;

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
  c_sm: u32, a_sb: u32, b_sb: u32, c_sb: u32,
  a_off: u32, b_off: u32, c_off: u32, alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const WG = 64u;
const TM = 8u;
const TN = 4u;

var<workgroup> part: array<array<f32, 32>, WG>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let bat = wid.z;
  var ar: array<u32, TM>;
  var br: array<u32, TN>;
  for (var i = 0u; i < TM; i++) { ar[i] = p.a_off + bat * p.a_sb + min(row0 + i, p.m - 1u) * p.a_sm; }
  for (var j = 0u; j < TN; j++) { br[j] = p.b_off + bat * p.b_sb + min(col0 + j, p.n - 1u) * p.b_sn; }
  var acc: array<f32, 32>;   // acc[i * TN + j] = partial C[row0 + i, col0 + j]
  for (var kk = t; kk < p.k; kk += WG) {
    var bv: array<f32, TN>;
    for (var j = 0u; j < TN; j++) { bv[j] = b[br[j] + kk * p.b_sk]; }
    for (var i = 0u; i < TM; i++) {
      let av = a[ar[i] + kk * p.a_sk];
      for (var j = 0u; j < TN; j++) { acc[i * TN + j] = fma(av, bv[j], acc[i * TN + j]); }
    }
  }
  for (var o = 0u; o < 32u; o++) { part[t][o] = acc[o]; }
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      for (var o = 0u; o < 32u; o++) { part[t][o] += part[t + s][o]; }
    }
    workgroupBarrier();
  }
  if (t < 32u) {
    let row = row0 + t / TN;
    let col = col0 + t % TN;
    if (row < p.m && col < p.n) {
      let ci = p.c_off + bat * p.c_sb + row * p.c_sm + col;
      var v = p.alpha * part[0][t];
      if (ACCUMULATE) { v += c[ci]; }
      if (EPILOGUE >= 1u) { v += bias[col]; }
      if (EPILOGUE == 2u) { v = max(v, 0.0); }
      c[ci] = v;
    }
  }
}
