// shape/permute.wgsl — out = x.permute(perm): a copy with the axes reordered.
//
// Math:     out[c_0, ..., c_{k-1}] = x[c_{inv(0)}, ...]; the host passes, for every OUTPUT
//           dimension d, the stride of the input dimension perm[d], so the input offset is
//           sum_d c_d * in_strides[d].
// Layout:   x and out contiguous (x from element x_off of its binding), rank <= 8. Used for
//           transpose and for layout changes (and by matmul's image kernels for a transposed A).
// Threads:  one invocation per output element, 256 per workgroup, 2-D grid (see unary.wgsl).
//           Reads are strided and writes are coalesced.
// Memory:   none. Bounds: i >= n returns. Works on 32-bit words, so any dtype.

struct Params {
  n: u32,
  rank: u32,
  x_off: u32,
  _pad1: u32,
  shape: array<vec4u, 2>,      // output shape
  in_strides: array<vec4u, 2>, // input stride for each output dimension
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rem = i;
  var src = p.x_off;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = dim(p.shape, u32(d));
    src += (rem % extent) * dim(p.in_strides, u32(d));
    rem = rem / extent;
  }
  out[i] = x[src];
}
