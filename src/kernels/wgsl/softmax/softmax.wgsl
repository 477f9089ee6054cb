// softmax/softmax.wgsl — y = softmax(x) or log_softmax(x) along one axis, numerically stable:
//           m = max_r x[r],  s = sum_r exp(x[r] - m),
//           softmax: y[r] = exp(x[r] - m) / s      log_softmax: y[r] = x[r] - m - log(s).
//
// Layout:   x and y contiguous, viewed as [outer, R, inner]; a "row" is the R values
//           x[o, 0..R, j] (stride `inner`). softmax over the last axis has inner = 1.
// Threads:  one WORKGROUP of 64 invocations per row: invocation t handles r = t, t+64, ...;
//           the max and the sum are combined by tree reductions in workgroup memory, so a
//           row may have any length (class scores are short, but nothing assumes it).
// Work:     three passes over the row (max, sum, write), ceil(R/64) elements each.
// Memory:   64 floats of workgroup memory.
// Bounds:   a workgroup past the last row returns before any barrier (uniform per workgroup).
// LOG:      override; false softmax, true log_softmax.

override LOG: bool = false;

struct Params {
  outer: u32,
  R: u32,
  inner: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> part: array<f32, 64>;

fn tree_max(t: u32) -> f32 {
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (t < s) { part[t] = max(part[t], part[t + s]); }
    workgroupBarrier();
  }
  return part[0];
}

fn tree_sum(t: u32) -> f32 {
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (t < s) { part[t] = part[t] + part[t + s]; }
    workgroupBarrier();
  }
  return part[0];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.outer * p.inner) { return; }
  let base = (row / p.inner) * p.R * p.inner + row % p.inner;

  var m = -3.4028234e38;
  for (var r = t; r < p.R; r += 64u) { m = max(m, x[base + r * p.inner]); }
  part[t] = m;
  workgroupBarrier();
  m = tree_max(t);
  workgroupBarrier();                       // everyone has read part[0] before it is reused

  var s = 0.0;
  for (var r = t; r < p.R; r += 64u) { s += exp(x[base + r * p.inner] - m); }
  part[t] = s;
  workgroupBarrier();
  s = tree_sum(t);

  let log_s = log(s);
  for (var r = t; r < p.R; r += 64u) {
    let k = base + r * p.inner;
    if (LOG) { y[k] = x[k] - m - log_s; } else { y[k] = exp(x[k] - m) / s; }
  }
}
