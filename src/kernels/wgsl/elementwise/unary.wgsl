// elementwise/unary.wgsl — y[i] = f(x[i]) for one of several functions f.
//
// Math:     OP selects f (the numbers match UNARY in src/tensor/ops/elementwise.ts):
//           0 neg -x | 1 relu max(x,0) | 2 exp | 3 log | 4 sqrt | 5 pow x^alpha
//           6 sigmoid 1/(1+e^-x) | 7 tanh | 8 abs | 9 scale-shift alpha*x+beta
//           10 square x*x | 11 reciprocal 1/x | 12 fill with alpha (x ignored)
// Layout:   x and y are flat float32 arrays of n elements (any shape, contiguous).
// Threads:  one invocation per element; 256 per workgroup. The grid is 2-D because one
//           dimension holds at most 65535 workgroups: i = gid.x + gid.y * (nwg.x * 256).
// Memory:   no workgroup memory. Bounds: invocations with i >= n return at once.
// OP is an `override` constant, so each f is compiled into its own pipeline and the switch
// costs nothing at run time.

override OP: u32 = 0u;

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn f(v: f32) -> f32 {
  switch OP {
    case 0u: { return -v; }
    case 1u: { return max(v, 0.0); }
    case 2u: { return exp(v); }
    case 3u: { return log(v); }
    case 4u: { return sqrt(v); }
    case 5u: { return pow_signed(v, p.alpha); }
    case 6u: { return 1.0 / (1.0 + exp(-v)); }
    case 7u: { return tanh(v); }
    case 8u: { return abs(v); }
    case 9u: { return p.alpha * v + p.beta; }
    case 10u: { return v * v; }
    case 11u: { return 1.0 / v; }
    case 12u: { return p.alpha; }
    default: { return v; }
  }
}

// WGSL's pow(x, e) is undefined for x < 0; integer exponents are well defined, so handle them.
fn pow_signed(v: f32, e: f32) -> f32 {
  let m = pow(abs(v), e);
  if (v < 0.0 && floor(e) == e) {
    if (abs(e % 2.0) == 1.0) { return -m; }
    return m;
  }
  if (v == 0.0 && e == 0.0) { return 1.0; }
  return pow(v, e);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  y[i] = f(x[i]);
}
