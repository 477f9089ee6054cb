// batchnorm/backward_reduce.wgsl — the per-channel sums of the batch-norm backward:
//           dbias[c]   = sum_{n,s} g[n, c, s]
//           dweight[c] = sum_{n,s} g[n, c, s] * xhat[n, c, s],   xhat = (x - mean[c]) * invstd[c]
//           g = dy, or with RELU g = dy where xhat * weight[c] + bias[c] > 0 and 0 elsewhere
//
// Math:     these are the weight and bias gradients, and (divided by M) the two
//           corrections in dx (backward_dx.wgsl). With RELU, dy is the gradient of the
//           ReLU's output (forward.wgsl with RELU); its mask is recomputed from x with the
//           forward's expression, so no mask and no separate ReLU gradient go through memory.
// Layout:   x, dy [N, C, HW] contiguous; stats [2C] (mean, then invstd); weight, bias,
//           dweight, dbias [C].
// Threads:  one WORKGROUP of WG per channel; both sums are reduced together by a tree in
//           workgroup memory. WG (a power of two, at most 256): 256 on a GPU, 8 (one SIMD
//           batch, so the tree's barriers switch nothing) on a CPU driver, as in stats.wgsl.
// Work:     M / WG pairs of loads per invocation (M = N * HW).
// Memory:   2 x 256 floats of workgroup memory.
// Bounds:   a workgroup with c >= C returns before any barrier.
// Changed from the unfused kernel: the optional ReLU mask, mean and invstd in one binding,
//           one division per invocation instead of one per element; then WG invocations per
//           channel instead of always 256, with each invocation's sums in blocks of BLOCK
//           terms (as stats.wgsl).

override RELU: bool = false;
override WG: u32 = 256u;   // invocations per channel: a power of two <= 256
const BLOCK: u32 = 64u;     // terms per block of an invocation's sums

struct Params {
  N: u32,
  C: u32,
  HW: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(7) var<storage, read_write> dbias: array<f32>;

var<workgroup> part_dy: array<f32, 256>;
var<workgroup> part_dyx: array<f32, 256>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= p.C) { return; }
  let mu = stats[c];
  let inv = stats[p.C + c];
  let w = weight[c];
  let b = bias[c];
  // both sums run in blocks of BLOCK terms, each block added to the total when full (as in
  // stats.wgsl: a running sum over thousands of terms would lose digits)
  var s = 0.0;
  var sx = 0.0;
  var bs = 0.0;
  var bsx = 0.0;
  var m = 0u;
  // elements k = t, t + WG, ... of the channel: image n = k / HW, position q = k % HW,
  // divided once and then stepped (a CPU driver has no SIMD integer division)
  let M = p.N * p.HW;
  let dn = WG / p.HW;
  let dq = WG % p.HW;
  var n = t / p.HW;
  var q = t % p.HW;
  for (var k = t; k < M; k += WG) {
    let i = (n * p.C + c) * p.HW + q;
    let xhat = (x[i] - mu) * inv;
    var g = dy[i];
    if (RELU && !(xhat * w + b > 0.0)) { g = 0.0; }
    bs += g;
    bsx += g * xhat;
    m += 1u;
    if (m == BLOCK) { s += bs; sx += bsx; bs = 0.0; bsx = 0.0; m = 0u; }
    n += dn;
    q += dq;
    if (q >= p.HW) {
      q -= p.HW;
      n += 1u;
    }
  }
  part_dy[t] = s + bs;
  part_dyx[t] = sx + bsx;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (t < h) {
      part_dy[t] = part_dy[t] + part_dy[t + h];
      part_dyx[t] = part_dyx[t] + part_dyx[t + h];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    dbias[c] = part_dy[0];
    dweight[c] = part_dyx[0];
  }
}
