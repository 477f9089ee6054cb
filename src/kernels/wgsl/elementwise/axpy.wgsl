// elementwise/axpy.wgsl — y[i] = beta * y[i] + alpha * x[i], in place.
//
// Used to accumulate gradients into a leaf (beta = 1, alpha = 1) without allocating, and
// for simple scaled updates. In place is why it is its own kernel: WebGPU forbids binding
// one buffer as both a read-only input and the writable output of a dispatch.
// Layout:   flat float32 arrays of n elements.
// Threads:  one invocation per element, 256 per workgroup, 2-D grid (see unary.wgsl).
// Bounds:   i >= n returns.

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  y[i] = p.beta * y[i] + p.alpha * x[i];
}
