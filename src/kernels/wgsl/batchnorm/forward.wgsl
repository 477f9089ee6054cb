// batchnorm/forward.wgsl — y[n, c, s] = (x[n, c, s] - mean[c]) * invstd[c] * weight[c] + bias[c]
//
// Math:     mean and invstd are the batch statistics (training, from stats.wgsl) or come
//           from the running statistics (evaluation); the host decides.
// Layout:   x, y [N, C, HW] contiguous; mean, invstd, weight, bias [C].
// Threads:  one invocation per element, 256 per workgroup, 2-D grid. Memory: none.
// Bounds:   i >= N*C*HW returns.

struct Params {
  N: u32,
  C: u32,
  HW: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> invstd: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.C * p.HW) { return; }
  let c = (i / p.HW) % p.C;
  y[i] = (x[i] - mean[c]) * invstd[c] * weight[c] + bias[c];
}
