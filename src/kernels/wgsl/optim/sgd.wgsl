// optim/sgd.wgsl — one SGD step on a flat range of one parameter, in place (PyTorch's rule).
//
// Math:     g = grad + weight_decay * p
//           momentum > 0:  buf = g                                   (first step)
//                          buf = momentum * buf + (1 - dampening) * g  (later steps)
//                          g   = nesterov ? g + momentum * buf : buf
//           p = p - lr * g
// Layout:   flat float32 arrays of n elements: grad (read), p and buf (read_write). Tensors
//           larger than one storage binding are updated in chunks (one dispatch each).
// Threads:  one invocation per element, 256 per workgroup, 2-D grid (see unary.wgsl).
// MOMENTUM: override; false skips buf entirely (it is then a dummy binding).
// Bounds:   i >= n returns.

override MOMENTUM: bool = true;

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
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
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
