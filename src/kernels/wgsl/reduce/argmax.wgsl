// reduce/argmax.wgsl — out[o, j] = argmax_{r < R} x[o, r, j]  (int32; first index on ties).
//
// Layout:   contiguous x viewed as [outer, R, inner]; out is int32 [outer, inner].
// Threads:  one invocation per output element, looping over R (argmax is used on class
//           scores, where R is the number of classes: small). 256 per workgroup, 2-D grid.
// Memory:   none. Bounds: o >= outer*inner returns. NaN never wins (comparisons are false).

struct Params {
  outer: u32,
  r: u32,
  inner: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * 256u;
  if (o >= p.outer * p.inner) { return; }
  let base = (o / p.inner) * p.r * p.inner + o % p.inner;
  var best = x[base];
  var arg = 0u;
  for (var r = 1u; r < p.r; r++) {
    let v = x[base + r * p.inner];
    if (v > best) { best = v; arg = r; }
  }
  out[o] = i32(arg);
}
