// optim/clip_scale.wgsl — scales a gradient in place by min(1, max_norm / (norm + 1e-6)),
// reading the global norm from a GPU buffer, so clipping needs no readback
// (PyTorch's clip_grad_norm_).
//
// Layout:   norm: one float32 (the global L2 norm of all gradients); grad: n float32, in place.
// Threads:  one invocation per element, 256 per workgroup, 2-D grid (see unary.wgsl).
// Bounds:   i >= n returns.

struct Params {
  n: u32,
  max_norm: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> norm: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let coef = min(1.0, p.max_norm / (norm[0] + 1e-6));
  grad[i] = grad[i] * coef;
}
