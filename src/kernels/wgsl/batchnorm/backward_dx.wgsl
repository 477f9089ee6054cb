// batchnorm/backward_dx.wgsl — dx of batch norm.
//
// Math:     TRAINING (batch statistics, which depend on x):
//             dx = weight[c] * invstd[c] * (dy - dbias[c] / M - xhat * dweight[c] / M)
//           with xhat = (x - mean[c]) * invstd[c], M = N * HW, and dbias = sum dy,
//           dweight = sum dy * xhat from backward_reduce.wgsl (the standard batch-norm
//           backward: the two sums are the gradient through the mean and the variance).
//           Evaluation (fixed running statistics): dx = dy * weight[c] * invstd[c].
// Layout:   x, dy, dx [N, C, HW] contiguous; per-channel arrays [C].
// Threads:  one invocation per element, 256 per workgroup, 2-D grid. Memory: none.
// Bounds:   i >= N*C*HW returns.

override TRAINING: bool = true;

struct Params {
  N: u32,
  C: u32,
  HW: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> invstd: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<storage, read> dweight: array<f32>;
@group(0) @binding(7) var<storage, read> dbias: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.C * p.HW) { return; }
  let c = (i / p.HW) % p.C;
  let scale = weight[c] * invstd[c];
  if (TRAINING) {
    let M = f32(p.N * p.HW);
    let xhat = (x[i] - mean[c]) * invstd[c];
    dx[i] = scale * (dy[i] - dbias[c] / M - xhat * dweight[c] / M);
  } else {
    dx[i] = dy[i] * scale;
  }
}
