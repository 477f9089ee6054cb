// batchnorm/forward.wgsl — y[n, c, s] = (x[n, c, s] - mean[c]) * invstd[c] * weight[c] + bias[c]
//                          RELU: y = max(that, 0)
//
// Math:     mean and invstd are the batch statistics (training) or the running ones
//           (evaluation), both written by stats.wgsl; the host decides which.
//           RELU applies the ReLU that follows the batch norm in keras-bn's blocks in the same
//           pass: one read of x and one write of y instead of two of each. The backward
//           kernels recompute the pre-activation with the same expression to get ReLU's mask.
// Layout:   x, y [N, C, HW] contiguous; stats [2C] (mean, then invstd); weight, bias [C].
// Threads:  one invocation per element, 256 per workgroup, 2-D grid. Memory: none.
// Bounds:   i >= N*C*HW returns.
// Changed from the unfused kernel: the optional ReLU, and mean and invstd in one binding.

override RELU: bool = false;

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

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.C * p.HW) { return; }
  let c = (i / p.HW) % p.C;
  let v = (x[i] - stats[c]) * stats[p.C + c] * weight[c] + bias[c];
  y[i] = select(v, max(v, 0.0), RELU);
}
