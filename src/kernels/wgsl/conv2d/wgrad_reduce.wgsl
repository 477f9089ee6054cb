// conv2d/wgrad_reduce.wgsl — dw = the sum of the split-K partials, in a fixed order.
//
// Math:     dw[i] = sum_{s = 0 .. S-1} part[s*size + i]   (size = K*Cg*KH*KW), s in order,
//           so the result does not depend on scheduling (no atomics). ACCUMULATE adds the
//           sum to dw (the second and later batch chunks; chunks run in order too).
// Layout:   part [S, size], dw [size]; both contiguous.
// Threads:  one invocation per dw element, 256 per workgroup, 2-D grid
//             i = gid.x + gid.y * (nwg.x * 256).
// Work:     S loads (strided by `size`: consecutive invocations read consecutive addresses).
// Memory:   no workgroup memory.   Bounds: i >= size returns.

override ACCUMULATE: bool = false;

struct Params {
  size: u32, slices: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.size) { return; }
  var acc = 0.0;
  for (var s = 0u; s < p.slices; s++) { acc += part[s * p.size + i]; }
  if (ACCUMULATE) { acc = dw[i] + acc; }
  dw[i] = acc;
}
