// batchnorm/backward_reduce.wgsl — the per-channel sums of the batch-norm backward:
//           dbias[c]   = sum_{n,s} dy[n, c, s]
//           dweight[c] = sum_{n,s} dy[n, c, s] * xhat[n, c, s],   xhat = (x - mean[c]) * invstd[c]
//
// Math:     these are the weight and bias gradients, and (divided by M) the two
//           corrections in dx (backward_dx.wgsl).
// Layout:   x, dy [N, C, HW] contiguous; mean, invstd, dweight, dbias [C].
// Threads:  one WORKGROUP of 256 per channel; both sums are reduced together by a tree in
//           workgroup memory.
// Work:     M / 256 pairs of loads per invocation (M = N * HW).
// Memory:   2 x 256 floats of workgroup memory.
// Bounds:   a workgroup with c >= C returns before any barrier.

struct Params {
  N: u32,
  C: u32,
  HW: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> invstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbias: array<f32>;

var<workgroup> part_dy: array<f32, 256>;
var<workgroup> part_dyx: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= p.C) { return; }
  let M = p.N * p.HW;
  let mu = mean[c];
  let inv = invstd[c];
  var s = 0.0;
  var sx = 0.0;
  for (var k = t; k < M; k += 256u) {
    let i = ((k / p.HW) * p.C + c) * p.HW + k % p.HW;
    s += dy[i];
    sx += dy[i] * (x[i] - mu) * inv;
  }
  part_dy[t] = s;
  part_dyx[t] = sx;
  workgroupBarrier();
  for (var h = 128u; h > 0u; h >>= 1u) {
    if (t < h) {
      part_dy[t] = part_dy[t] + part_dy[t + h];
      part_dyx[t] = part_dyx[t] + part_dyx[t + h];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    dbias[c] = part_dy[0];
    dweight[c] = part_dyx[0];
  }
}
