// elementwise/binary.wgsl — out[i] = g(a[ia], b[ib]) with NumPy-style broadcasting.
//
// Math:     OP selects g (numbers match BINARY in src/tensor/ops/elementwise.ts):
//           0 add | 1 sub | 2 mul | 3 div | 4 max | 5 min | 6 pow a^b
//           7 relu-backward a * (b > 0)      (a = dY, b = the ReLU's input X)
//           8 sigmoid-backward a * b * (1-b) (b = the sigmoid's output)
//           9 tanh-backward a * (1 - b*b)    (b = the tanh's output)
//           10 equal (1.0 / 0.0)             11 greater (1.0 / 0.0)
//           12 first: a (with b = a, this broadcasts a into the output shape)
// Layout:   out is contiguous with shape `shape` (rank <= 8, padded with leading 1s).
//           a and b are contiguous in their own shapes; their strides here are given in
//           the OUTPUT's index space with 0 on broadcast dimensions, so one multiply-add per
//           dimension turns the output index into each input's index.
// Threads:  one invocation per output element, 256 per workgroup, 2-D grid as in unary.wgsl.
// Memory:   no workgroup memory. Bounds: i >= n returns.
// Fast path: when BROADCAST is false the three tensors have the same shape and the index
//           math is skipped entirely (the common case in training).

override OP: u32 = 0u;
override BROADCAST: bool = true;

struct Params {
  n: u32,
  rank: u32,
  _pad0: u32,
  _pad1: u32,
  shape: array<vec4u, 2>,     // output shape, dims 0..7
  a_strides: array<vec4u, 2>, // a's stride per output dim (0 where broadcast)
  b_strides: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn g(u: f32, v: f32) -> f32 {
  switch OP {
    case 0u: { return u + v; }
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    case 3u: { return u / v; }
    case 4u: { return max(u, v); }
    case 5u: { return min(u, v); }
    case 6u: { return pow(u, v); }
    case 7u: { return select(0.0, u, v > 0.0); }
    case 8u: { return u * v * (1.0 - v); }
    case 9u: { return u * (1.0 - v * v); }
    case 10u: { return select(0.0, 1.0, u == v); }
    case 11u: { return select(0.0, 1.0, u > v); }
    default: { return u; }
  }
}

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  if (!BROADCAST) {
    out[i] = g(a[i], b[i]);
    return;
  }
  // Peel output coordinates from the last dimension to the first.
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = dim(p.shape, u32(d));
    let c = rem % extent;
    rem = rem / extent;
    ia += c * dim(p.a_strides, u32(d));
    ib += c * dim(p.b_strides, u32(d));
  }
  out[i] = g(a[ia], b[ib]);
}
