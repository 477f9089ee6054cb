// reduce/reduce_axis.wgsl — out[o, j] = reduce_{r < R} x[o, r, j] for sum, max or min,
//                          times `scale` (scale = 1/R gives the mean).
//
// Layout:   any contiguous tensor viewed as [outer, R, inner], reducing the middle axis;
//           out is [outer, inner] (a reduction over several adjacent axes is one call).
// Threads:  one WORKGROUP of 64 invocations per output element: invocation t adds up
//           r = t, t+64, t+128, ... and the 64 partial results are combined by a tree in
//           workgroup memory. This keeps big reductions (a bias gradient sums N*H*W values
//           per channel; a global norm sums millions) parallel even when outputs are few.
//           SERIAL (a CPU driver): one INVOCATION per output element instead, adding up its
//           R values in order, with no workgroup memory and no barrier — on lavapipe each
//           barrier switches all 8 SIMD batches of the workgroup, which cost more than the
//           sums themselves (a bias gradient's thousands of outputs x 6 barriers each).
// Memory:   64 floats of workgroup memory (none used with SERIAL).
// Bounds:   a workgroup whose output index is past the end exits before any barrier
//           (the whole workgroup takes the same branch, so barriers stay uniform).
// OP:       override; 0 sum, 1 max, 2 min.

override OP: u32 = 0u;
override SERIAL: bool = false;

struct Params {
  outer: u32,
  r: u32,
  inner: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, 64>;

fn identity() -> f32 {
  switch OP {
    case 1u: { return -3.4028234e38; }
    case 2u: { return 3.4028234e38; }
    default: { return 0.0; }
  }
}

fn combine(u: f32, v: f32) -> f32 {
  switch OP {
    case 1u: { return max(u, v); }
    case 2u: { return min(u, v); }
    default: { return u + v; }
  }
}

/** SERIAL: output element o, its R values added up in order by one invocation. */
fn reduceOne(o: u32) {
  if (o >= p.outer * p.inner) { return; }
  let i0 = o / p.inner;
  let base = i0 * p.r * p.inner + o - i0 * p.inner;
  var acc = identity();
  for (var r = 0u; r < p.r; r++) { acc = combine(acc, x[base + r * p.inner]); }
  out[o] = acc * p.scale;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  if (SERIAL) {
    reduceOne((wid.x + wid.y * nwg.x) * 64u + t);
    return;
  }
  let o = wid.x + wid.y * nwg.x;      // output element handled by this workgroup
  if (o >= p.outer * p.inner) { return; }
  let i0 = o / p.inner;
  let j = o % p.inner;
  let base = i0 * p.r * p.inner + j;
  var acc = identity();
  for (var r = t; r < p.r; r += 64u) {
    acc = combine(acc, x[base + r * p.inner]);
  }
  part[t] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (t < s) { part[t] = combine(part[t], part[t + s]); }
    workgroupBarrier();
  }
  if (t == 0u) { out[o] = part[0] * p.scale; }
}
