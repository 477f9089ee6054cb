// optim/adam.wgsl — one Adam / AdamW step on a flat range of one parameter, in place
// (PyTorch's rule, with bias correction).
//
// Math:     Adam:  g = grad + weight_decay * p       AdamW: p = p * (1 - lr * weight_decay)
//           m = beta1 * m + (1 - beta1) * g
//           v = beta2 * v + (1 - beta2) * g * g
//           amsgrad: vmax = max(vmax, v), and vmax replaces v below
//           p = p - step_size * m / (sqrt(v) / bc2_sqrt + eps)
//           where step_size = lr / (1 - beta1^t) and bc2_sqrt = sqrt(1 - beta2^t) are computed
//           on the CPU in float64 (t = the step number, from 1).
// Layout:   flat float32 arrays of n elements: grad (read); param, m, v, vmax (read_write).
// Threads:  one invocation per element, 256 per workgroup, 2-D grid (see unary.wgsl).
// AMSGRAD:  override; false leaves vmax untouched (it is then a dummy binding).
// DECOUPLED: override; true is AdamW's decoupled weight decay.
// Bounds:   i >= n returns.

override AMSGRAD: bool = false;
override DECOUPLED: bool = false;

struct Params {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  step_size: f32,
  bc2_sqrt: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> vmax: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var w = param[i];
  var g = grad[i];
  if (DECOUPLED) {
    w = w * (1.0 - p.lr * p.weight_decay);
  } else {
    g = g + p.weight_decay * w;
  }
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  var vhat = vi;
  if (AMSGRAD) {
    vhat = max(vmax[i], vi);
    vmax[i] = vhat;
  }
  let denom = sqrt(vhat) / p.bc2_sqrt + p.eps;
  param[i] = w - p.step_size * (mi / denom);
}
