// init/fill.wgsl — y[i] = value, for float32 (VALUE_BITS reinterpreted) or integer tensors.
//
// The value travels as raw 32-bit pattern so one kernel fills f32, i32 and u32 tensors
// (and NaN, which the tests use to poison fresh outputs).
// Layout:   flat array of n 32-bit words. Threads: one per word, 256 per workgroup, 2-D grid.
// Bounds:   i >= n returns.

struct Params {
  n: u32,
  bits: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  y[i] = p.bits;
}
