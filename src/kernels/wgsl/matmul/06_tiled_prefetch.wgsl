// matmul/06_tiled_prefetch.wgsl — 05_tiled with the next K step's loads in flight while
// the current one is computed (software pipelining through registers). For GPUs.
//
// Math, Layout, Threads, Memory, Bounds, BIAS_ROW, split-K and the folded store: exactly as
//           in 05_tiled.wgsl (read that file first); the epilogue is the same code.
// Work:     the same 512 FMAs per 8 loads from memory per K step. The order differs:
//             05:  load tile k -> barrier -> compute tile k -> barrier -> load tile k+1 ...
//                  every invocation waits for its loads from memory before any FMA;
//             06:  (tile k is in workgroup memory) issue the loads of tile k+1 into 8
//                  registers -> compute tile k -> barrier -> store the registers into
//                  workgroup memory -> barrier: the memory latency of tile k+1 overlaps the
//                  512 FMAs of tile k.
// Memory:   the same 8.4 KB of workgroup memory (16.9 KB with BK = 16, more than the 16 KiB
//           every WebGPU device must offer), plus BK registers per invocation for the loads
//           in flight.
// BK:       an override constant, 8 as in 05 or 16: twice the FMAs per pair of barriers.
//           On an H100 16 was slower, so the host sends 8 unless told otherwise
//           (GPU_GEMM.bk).
// Changed from 05: only the loop order above. On the H100's convolution GEMMs 06 was the
//           faster of the two, so it is the default
//           (figures: BENCHMARKS.md, "Kernel design measurements").

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = 0u;      // 0 none, 1 + bias, 2 + bias then ReLU
override BIAS_ROW: bool = false;  // bias[bias_off + m] instead of bias[n]
override TA: bool = false;
override TB: bool = false;

const BM = 128u;
const BN = 128u;
override BK: u32 = 8u;  // K step: 8 or 16 (set by the host; 16 halves the barriers per FMA)
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

var<workgroup> as_: array<vec4f, BK * ROW>;  // As[k][m]: as_[k * ROW + m / 4][m % 4]
var<workgroup> bs: array<vec4f, BK * ROW>;   // Bs[k][n]: bs[k * ROW + n / 4][n % 4]

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

  // registers for one K step's share of A and B (BK/2 + BK/2 elements per invocation)
  var ra: array<f32, 8>;
  var rb: array<f32, 8>;
  fetch(&ra, &rb, t, m0, n0, a0, b0, k_begin, k_end);
  for (var kt = k_begin; kt < k_end; kt += BK) {
    stage(&ra, &rb, t);
    workgroupBarrier();
    // the next step's loads go out before this step's FMAs
    if (kt + BK < k_end) { fetch(&ra, &rb, t, m0, n0, a0, b0, kt + BK, k_end); }
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

// where element i (0..3) of invocation t's share of a K step lives in the tiles
fn a_pos(t: u32, i: u32) -> vec2u {  // (m, k) within the 128 x 8 tile of A
  let e = t + i * 256u;
  if (TA) { return vec2u(e % BM, e / BM); }
  return vec2u(e / BK, e % BK);
}
fn b_pos(t: u32, i: u32) -> vec2u {  // (n, k) within the 8 x 128 tile of B
  let e = t + i * 256u;
  if (TB) { return vec2u(e / BK, e % BK); }
  return vec2u(e % BN, e / BN);
}

// loads invocation t's BK/2 + BK/2 elements of the K step at kt into registers (0 outside)
fn fetch(ra: ptr<function, array<f32, 8>>, rb: ptr<function, array<f32, 8>>, t: u32,
         m0: u32, n0: u32, a0: u32, b0: u32, kt: u32, k_end: u32) {
  for (var i = 0u; i < BK / 2u; i++) {
    let pa = a_pos(t, i);
    var va = 0.0;
    if (m0 + pa.x < p.m && kt + pa.y < k_end) { va = a[a0 + (m0 + pa.x) * p.a_sm + (kt + pa.y) * p.a_sk]; }
    (*ra)[i] = va;
    let pb = b_pos(t, i);
    var vb = 0.0;
    if (n0 + pb.x < p.n && kt + pb.y < k_end) { vb = b[b0 + (kt + pb.y) * p.b_sk + (n0 + pb.x) * p.b_sn]; }
    (*rb)[i] = vb;
  }
}

// stores the registers into the workgroup tiles
fn stage(ra: ptr<function, array<f32, 8>>, rb: ptr<function, array<f32, 8>>, t: u32) {
  for (var i = 0u; i < BK / 2u; i++) {
    let pa = a_pos(t, i);
    as_[pa.y * ROW + pa.x / 4u][pa.x % 4u] = (*ra)[i];
    let pb = b_pos(t, i);
    bs[pb.y * ROW + pb.x / 4u][pb.x % 4u] = (*rb)[i];
  }
}
