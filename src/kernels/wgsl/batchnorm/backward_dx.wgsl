// batchnorm/backward_dx.wgsl — dx of batch norm.
//
// Math:     TRAINING (batch statistics, which depend on x):
//             dx = weight[c] * invstd[c] * (g - dbias[c] / M - xhat * dweight[c] / M)
//           with xhat = (x - mean[c]) * invstd[c], M = N * HW, and dbias = sum g,
//           dweight = sum g * xhat from backward_reduce.wgsl (the standard batch-norm
//           backward: the two sums are the gradient through the mean and the variance).
//           Evaluation (fixed running statistics): dx = g * weight[c] * invstd[c].
//           g = dy, or with RELU (forward.wgsl applied the ReLU) g = dy where
//           xhat * weight[c] + bias[c] > 0 and 0 elsewhere, the forward's expression.
// Layout:   x, dy, dx [N, C, HW] contiguous; stats [2C] (mean, then invstd); the other
//           per-channel arrays [C]. Eight storage bindings, WebGPU's default limit per stage.
// Threads:  as forward.wgsl: invocation j = c * HW + s loads channel c's six numbers once and
//           loops over the N images at position s. Workgroups of WG, 2-D grid over C*HW.
// Work:     N elements per invocation. Memory: none.
// Bounds:   j >= C*HW returns.
// Changed from the one-invocation-per-element kernel: the per-channel loads and the division
//           once per invocation instead of once per element (forward.wgsl says why that
//           matters on a CPU driver); the optional ReLU mask; mean and invstd in one binding.

override TRAINING: bool = true;
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
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> dweight: array<f32>;
@group(0) @binding(7) var<storage, read> dbias: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;          // j = c * HW + s
  if (j >= p.C * p.HW) { return; }
  let c = j / p.HW;
  let mu = stats[c];
  let inv = stats[p.C + c];
  let w = weight[c];
  let b = bias[c];
  let scale = w * inv;
  let M = f32(p.N * p.HW);
  let mb = dbias[c] / M;
  let mw = dweight[c] / M;
  let step = p.C * p.HW;
  var i = j;
  for (var n = 0u; n < p.N; n++) {
    let xhat = (x[i] - mu) * inv;
    var g = dy[i];
    if (RELU && !(xhat * w + b > 0.0)) { g = 0.0; }
    if (TRAINING) {
      dx[i] = scale * (g - mb - xhat * mw);
    } else {
      dx[i] = g * scale;
    }
    i += step;
  }
}
