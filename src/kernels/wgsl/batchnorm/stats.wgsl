// batchnorm/stats.wgsl — per-channel batch statistics, and the running-stat update in place:
//           mean[c]   = (1/M) sum_{n,s} x[n, c, s]                       M = N * HW
//           var       = (1/M) sum_{n,s} (x[n, c, s] - mean[c])^2         (biased: normalises)
//           invstd[c] = 1 / sqrt(var + eps)
//           UPDATE:   running_mean[c] = (1 - momentum) running_mean[c] + momentum mean[c]
//                     running_var[c]  = (1 - momentum) running_var[c]  + momentum var M/(M-1)
//           RUNNING:  (evaluation) mean[c] = running_mean[c],
//                     invstd[c] = 1 / sqrt(running_var[c] + eps); x is not read
//
// Math:     two passes (mean first, then squared deviations from it): no cancellation of
//           E[x^2] - E[x]^2 when |mean| >> std. The first pass sums x - x0, x0 the channel's
//           first element, and adds x0 back: with values far from zero and few invocations
//           per channel (long running sums) the sums would otherwise round away the
//           deviations. Running variance is unbiased, as in PyTorch.
// Layout:   x [N, C, HW] contiguous (NCHW, or [N, C] with HW = 1); running stats [C];
//           stats [2C]: mean[c] at c, invstd[c] at C + c (one binding, so that the backward
//           kernels stay within 8 storage bindings, WebGPU's default per stage).
// Threads:  one WORKGROUP of WG per channel c: invocation t adds up elements t, t+WG, ...
//           of the channel; the partial sums are combined by a tree in workgroup memory.
//           WG (a power of two, at most 256) is 256 on a GPU; on a CPU driver 8, one SIMD
//           batch: each barrier there switches between the workgroup's batches, so a tree over
//           256 invocations costs 8 levels x 32 switches, over 8 it costs 3 levels x 1.
// Work:     2 * M / WG loads per invocation. Memory: 256 floats of workgroup memory.
// Bounds:   a workgroup with c >= C returns before any barrier (uniform per workgroup).
// UPDATE:   override; true in training with running stats.
// RUNNING:  override; true in evaluation with running stats (one invocation per workgroup
//           does the work; C workgroups of a few floats each).
// Changed from the first version: WG invocations per channel instead of always 256, each
//           invocation's sums in blocks of BLOCK terms, the first pass shifted by x0, one
//           division per invocation instead of one per element, mean and invstd in one
//           [2C] binding, and RUNNING (evaluation wrote its stats with elementwise ops before).

override UPDATE: bool = false;
override RUNNING: bool = false;
override WG: u32 = 256u;   // invocations per channel: a power of two <= 256
const BLOCK: u32 = 64u;     // terms per block of an invocation's sums

struct Params {
  N: u32,
  C: u32,
  HW: u32,
  momentum: f32,
  eps: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_var: array<f32>;

var<workgroup> part: array<f32, 256>;

// Element k (0 <= k < M) of the channel is position q = k % HW of image n = k / HW. An
// invocation walks k = t, t + WG, ...; it divides once, then steps n and q by WG's
// quotient and remainder (a CPU driver has no SIMD integer division).
struct Walk {
  k: u32,
  n: u32,
  q: u32,
}

fn first(t: u32) -> Walk {
  return Walk(t, t / p.HW, t % p.HW);
}

fn next(e: Walk) -> Walk {
  var r = Walk(e.k + WG, e.n + WG / p.HW, e.q + WG % p.HW);
  if (r.q >= p.HW) {
    r.q -= p.HW;
    r.n += 1u;
  }
  return r;
}

fn at(c: u32, e: Walk) -> u32 {
  return (e.n * p.C + c) * p.HW + e.q;
}

fn tree_sum(t: u32) -> f32 {
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { part[t] = part[t] + part[t + s]; }
    workgroupBarrier();
  }
  return part[0];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= p.C) { return; }
  if (RUNNING) {
    if (t == 0u) {
      stats[c] = running_mean[c];
      stats[p.C + c] = 1.0 / sqrt(running_var[c] + p.eps);
    }
    return;
  }
  let M = p.N * p.HW;

  let x0 = x[c * p.HW];                   // x[0, c, 0]: the shift of the first pass
  // every sum runs in blocks of BLOCK terms, each block added to the total when full: one
  // running sum over the thousands of terms an invocation gets with WG = 8 would lose digits
  // (an error growing like n·ε, against (BLOCK + n/BLOCK)·ε in blocks)
  var s = 0.0;
  var blk = 0.0;
  var m = 0u;
  for (var e = first(t); e.k < M; e = next(e)) {
    blk += x[at(c, e)] - x0;
    m += 1u;
    if (m == BLOCK) { s += blk; blk = 0.0; m = 0u; }
  }
  part[t] = s + blk;
  workgroupBarrier();
  let mu = x0 + tree_sum(t) / f32(M);
  workgroupBarrier();                     // everyone has read part[0] before it is reused

  var q = 0.0;
  blk = 0.0;
  m = 0u;
  for (var e = first(t); e.k < M; e = next(e)) {
    let d = x[at(c, e)] - mu;
    blk += d * d;
    m += 1u;
    if (m == BLOCK) { q += blk; blk = 0.0; m = 0u; }
  }
  part[t] = q + blk;
  workgroupBarrier();
  let v = tree_sum(t) / f32(M);

  if (t == 0u) {
    stats[c] = mu;
    stats[p.C + c] = 1.0 / sqrt(v + p.eps);
    if (UPDATE) {
      running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * mu;
      running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * v * f32(M) / f32(M - 1u);
    }
  }
}
