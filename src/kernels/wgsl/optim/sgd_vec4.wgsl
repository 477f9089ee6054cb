// optim/sgd_vec4.wgsl — sgd.wgsl four elements at a time (the same rule, read it there).
//
// Layout:   grad, param and buf viewed as array<vec4f>: the host sends a parameter here up
//           to its last multiple of 64 elements (n counts vec4s) and the rest, fewer than 64
//           elements, through sgd.wgsl (a binding must start at a multiple of 256 bytes).
// Threads:  one invocation per PER vec4s (4·PER elements), 256 per workgroup, 2-D grid of
//           T invocations in all; invocation t updates vec4s t, t + T, t + 2T, ... so at
//           every step neighbouring invocations touch neighbouring memory.
// Why:      an elementwise kernel on a CPU driver pays per invocation (index math, bounds
//           check, one scalar load per operand); a vec4 per invocation pays it once per 4
//           elements: about half the time on lavapipe
//           (figures: BENCHMARKS.md, "Kernel design measurements").
// Changed:  PER vec4s per invocation (the host sends 2): fewer invocations again, up to
//           the memory's speed on lavapipe.
// Bounds:   a vec4 index >= n returns.

override MOMENTUM: bool = true;
override PER: u32 = 1u;   // vec4s per invocation

struct Params {
  n: u32,
  lr: f32,
  momentum: f32,
  dampening: f32,
  weight_decay: f32,
  nesterov: u32,
  first: u32,   // 1 on the parameter's first step: buf starts as g
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> buf: array<vec4f>;

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
  let w = param[i];
  var g = grad[i] + p.weight_decay * w;
  if (MOMENTUM) {
    var b = g;
    if (p.first == 0u) {
      b = p.momentum * buf[i] + (1.0 - p.dampening) * g;
    }
    buf[i] = b;
    g = select(b, g + p.momentum * b, p.nesterov != 0u);
  }
  param[i] = w - p.lr * g;
}
