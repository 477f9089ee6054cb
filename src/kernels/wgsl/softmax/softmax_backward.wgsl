// softmax/softmax_backward.wgsl — dx of softmax / log_softmax along one axis, from y and dy:
//           softmax:     dx[r] = y[r] * (dy[r] - sum_r' dy[r'] * y[r'])
//           log_softmax: dx[r] = dy[r] - exp(y[r]) * sum_r' dy[r']
//
// Layout:   y, dy, dx contiguous, viewed as [outer, R, inner] (see softmax.wgsl).
// Threads:  one WORKGROUP of 64 per row; the row sum is a tree reduction in workgroup memory.
// Work:     two passes over the row. Memory: 64 floats.
// Bounds:   a workgroup past the last row returns before any barrier.
// LOG:      override; false softmax, true log_softmax.

override LOG: bool = false;

struct Params {
  outer: u32,
  R: u32,
  inner: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.outer * p.inner) { return; }
  let base = (row / p.inner) * p.R * p.inner + row % p.inner;

  var s = 0.0;
  for (var r = t; r < p.R; r += 64u) {
    let k = base + r * p.inner;
    if (LOG) { s += dy[k]; } else { s += dy[k] * y[k]; }
  }
  part[t] = s;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h >>= 1u) {
    if (t < h) { part[t] = part[t] + part[t + h]; }
    workgroupBarrier();
  }
  s = part[0];

  for (var r = t; r < p.R; r += 64u) {
    let k = base + r * p.inner;
    if (LOG) { dx[k] = dy[k] - exp(y[k]) * s; } else { dx[k] = y[k] * (dy[k] - s); }
  }
}
