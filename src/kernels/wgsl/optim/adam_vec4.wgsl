// optim/adam_vec4.wgsl — adam.wgsl four elements at a time (the same rule, read it there).
//
// Layout:   grad, param, m, v and vmax viewed as array<vec4f>: the host sends a parameter
//           here up to its last multiple of 64 elements (n counts vec4s) and the rest, fewer
//           than 64 elements, through adam.wgsl (a binding starts at a multiple of 256 bytes).
// Threads:  one invocation per PER vec4s, 256 per workgroup, 2-D grid of T invocations;
//           invocation t updates vec4s t, t + T, ... (as in sgd_vec4.wgsl).
// Why:      as for sgd_vec4.wgsl: a CPU driver pays per invocation, so 4 elements per
//           invocation move the same bytes with a quarter of the overhead.
// Changed:  PER vec4s per invocation (the host sends 2): fewer invocations again 
//           (figures: BENCHMARKS.md, "Kernel design measurements").
// Bounds:   a vec4 index >= n returns.

override AMSGRAD: bool = false;
override DECOUPLED: bool = false;
override PER: u32 = 1u;   // vec4s per invocation

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
@group(0) @binding(1) var<storage, read> grad: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> vmax: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * 256u;
  let stride = nwg.x * nwg.y * 256u;
  for (var j = 0u; j < PER; j++) {
    let i = t + j * stride;
    if (i >= p.n) { return; }
    update(i);
  }
}

fn update(i: u32) {
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
