// softmax/accuracy.wgsl — out[0] = (1/N) * #{n : argmax_c x[n, c] == label[n]}.
//
// Math:     argmax takes the first maximum on ties (like reduce/argmax.wgsl and PyTorch).
//           A label outside [0, C) never matches.
// Layout:   x [N, C] float32, label [N] int32, out [1] float32.
// Threads:  ONE workgroup of 256: invocation t scores rows t, t+256, ...; the counts are
//           added by a tree in workgroup memory. A metric on one batch: small work.
// Memory:   256 floats of workgroup memory. Bounds: loops stop at N and C.

struct Params {
  N: u32,
  C: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> label: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var hits = 0.0;
  for (var n = t; n < p.N; n += 256u) {
    var best = x[n * p.C];
    var arg = 0;
    for (var c = 1u; c < p.C; c++) {
      let v = x[n * p.C + c];
      if (v > best) { best = v; arg = i32(c); }
    }
    if (arg == label[n]) { hits += 1.0; }
  }
  part[t] = hits;
  workgroupBarrier();
  for (var h = 128u; h > 0u; h >>= 1u) {
    if (t < h) { part[t] = part[t] + part[t + h]; }
    workgroupBarrier();
  }
  if (t == 0u) { out[0] = part[0] / f32(p.N); }
}
