// batchnorm/forward.wgsl — y[n, c, s] = (x[n, c, s] - mean[c]) * invstd[c] * weight[c] + bias[c]
//                          RELU: y = max(that, 0)
//
// Math:     mean and invstd are the batch statistics (training) or the running ones
//           (evaluation), both written by stats.wgsl; the host decides which.
//           RELU applies the ReLU that follows the batch norm in keras-bn's blocks in the same
//           pass: one read of x and one write of y instead of two of each. The backward
//           kernels recompute the pre-activation with the same expression to get ReLU's mask.
// Layout:   x, y [N, C, HW] contiguous; stats [2C] (mean, then invstd); weight, bias [C].
// Threads:  invocation j = c * HW + s owns position s of channel c in every image: it loads
//           the channel's four numbers once and loops over n (stride C*HW). Workgroups of
//           WG, 2-D grid over the C*HW invocations. Neighbouring invocations touch
//           neighbouring elements: coalesced on a GPU.
// Work:     N elements per invocation. Memory: none.
// Bounds:   j >= C*HW returns (the loop has the same trip count, N, in every lane).
// Changed from the one-invocation-per-element kernel: that loaded mean, invstd, weight and bias
//           and divided i by HW for every element. On a CPU driver each of those loads is a
//           per-lane loop and integer division has no SIMD instruction, so it ran several
//           times slower than a plain elementwise pass over the same tensor. Also the optional
//           ReLU, and mean and invstd in one binding.

override RELU: bool = false;
override WG: u32 = 64;

struct Params {
  N: u32,
  C: u32,
  HW: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;          // j = c * HW + s
  if (j >= p.C * p.HW) { return; }
  let c = j / p.HW;
  let mu = stats[c];
  let inv = stats[p.C + c];
  let w = weight[c];
  let b = bias[c];
  let step = p.C * p.HW;
  var i = j;
  for (var n = 0u; n < p.N; n++) {
    let v = (x[i] - mu) * inv * w + b;
    y[i] = select(v, max(v, 0.0), RELU);
    i += step;
  }
}
