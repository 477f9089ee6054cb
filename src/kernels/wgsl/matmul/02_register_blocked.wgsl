// matmul/02_register_blocked.wgsl — C = A·B (+ C); each invocation computes a 4x4 block.
//
// Math, layout, strides, ACCUMULATE and EPILOGUE: exactly as in 01_naive.wgsl.
// Threads:  invocation (x, y, z) owns rows 4y..4y+3 and columns 4x..4x+3 of batch z;
//           WG_X x WG_Y = 64 invocations per workgroup (8x8, or flatter when M is small),
//           so a workgroup covers a (4*WG_Y) x (4*WG_X) tile of C.
// Work:     per k, 4 loads of A and 4 loads of B feed 16 multiply-adds (naive: 2 loads per
//           multiply-add). The 16 accumulators stay in registers for the whole K loop.
// Memory:   no workgroup memory and no barriers. On a CPU driver (lavapipe) this is faster
//           than staging tiles in workgroup memory: the "GPU cache" is the CPU's L1/L2 and the
//           barriers cost real synchronisation between SIMD lanes.
// Bounds:   loads clamp the row and column to the last valid one (always in range, results
//           unused), stores are skipped outside [M, N). No early return: all invocations run
//           the same loop, which a later version with barriers will need anyway.
// Changed from 01: 4x4 register blocking — 4x fewer loads per multiply-add.

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = 0u;
// workgroup shape: 64 invocations, flatter for few rows (set by the host per problem)
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

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

const TM = 4u;
const TN = 4u;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * TM;
  let col0 = gid.x * TN;
  let bat = gid.z;
  var a_base: array<u32, TM>;
  var b_base: array<u32, TN>;
  for (var i = 0u; i < TM; i++) {
    a_base[i] = p.a_off + bat * p.a_sb + min(row0 + i, p.m - 1u) * p.a_sm;
  }
  for (var j = 0u; j < TN; j++) {
    b_base[j] = p.b_off + bat * p.b_sb + min(col0 + j, p.n - 1u) * p.b_sn;
  }
  var acc: array<array<f32, TN>, TM>;
  for (var kk = 0u; kk < p.k; kk++) {
    var av: array<f32, TM>;
    var bv: array<f32, TN>;
    for (var i = 0u; i < TM; i++) { av[i] = a[a_base[i] + kk * p.a_sk]; }
    for (var j = 0u; j < TN; j++) { bv[j] = b[b_base[j] + kk * p.b_sk]; }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) {
        acc[i][j] = fma(av[i], bv[j], acc[i][j]);
      }
    }
  }
  for (var i = 0u; i < TM; i++) {
    let row = row0 + i;
    if (row >= p.m) { continue; }
    for (var j = 0u; j < TN; j++) {
      let col = col0 + j;
      if (col >= p.n) { continue; }
      let ci = p.c_off + bat * p.c_sb + row * p.c_sm + col;
      var v = p.alpha * acc[i][j];
      if (ACCUMULATE) { v += c[ci]; }
      if (EPILOGUE >= 1u) { v += bias[col]; }
      if (EPILOGUE == 2u) { v = max(v, 0.0); }
      c[ci] = v;
    }
  }
}
