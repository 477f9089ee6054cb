// softmax/bce_with_logits.wgsl — fused sigmoid binary cross-entropy, loss and gradient:
//           loss[i] = max(x, 0) - x * t + log(1 + exp(-|x|))   (PyTorch's stable form)
//           dx[i]   = scale * (sigmoid(x) - t)                 with scale = 1/n (mean)
//
// Math:     log(1 + z) with z = exp(-|x|) <= 1 uses z - z^2/2 + z^3/3 when z < 1e-3, where
//           1 + z would round away the tail; sigmoid is e^x / (1 + e^x) for x < 0 so exp
//           never overflows.
// Layout:   x, t, loss, dx: flat float32 arrays of n elements.
// Threads:  one invocation per element, 256 per workgroup, 2-D grid. Memory: none.
// Bounds:   i >= n returns.

struct Params {
  n: u32,
  scale: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

fn log1p_small(z: f32) -> f32 {
  if (z < 1e-3) { return z * (1.0 - z * (0.5 - z / 3.0)); }
  return log(1.0 + z);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let v = x[i];
  let z = exp(-abs(v));
  loss[i] = max(v, 0.0) - v * t[i] + log1p_small(z);
  let sig = select(z / (1.0 + z), 1.0 / (1.0 + z), v >= 0.0);
  dx[i] = p.scale * (sig - t[i]);
}
