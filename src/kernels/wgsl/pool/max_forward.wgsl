// pool/max_forward.wgsl — max pooling: y[p, oh, ow] = max over the KH x KW window, and the
//                         flat index (ih * W + iw) of the element that won, for the backward.
//
// Math:     window of (oh, ow): ih = oh*SH - PH + kh, iw = ow*SW - PW + kw, kh < KH, kw < KW.
//           Padding counts as -inf (it never wins). Ties: the FIRST maximum in row-major
//           window order wins (strict >), as in PyTorch; a NaN wins and propagates.
// Layout:   x [planes, H, W], y and arg [planes, OH, OW], contiguous (planes = N * C of NCHW).
// Threads:  one invocation per output element, 256 per workgroup, 2-D grid
//           (i = gid.x + gid.y * nwg.x * 256).
// Work:     KH * KW loads per invocation. Memory: no workgroup memory.
// Bounds:   i >= planes*OH*OW returns; window taps outside [0,H) x [0,W) are skipped
//           (ih, iw are i32 because they go negative in the padding).
// The host guarantees PH <= KH/2 and PW <= KW/2, so every window holds a real element.
// Chunks:   a batch too large for one storage binding is processed a few images at a time;
//           each binding then starts at an aligned offset before the chunk, and x_off / y_off
//           (elements) lead from there to the chunk's first x-shaped / y-shaped element.

// The geometry as override constants, set by the host per pool shape (the same values as in
// `p`): divisions, remainders and the window loops' bounds are then constants — a CPU driver
// has no SIMD integer division, and constant-length loops unroll
// (figures: BENCHMARKS.md, "Kernel design measurements").
// One pipeline per pool shape.
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
override PH: u32;
override PW: u32;

struct Params {
  planes: u32, H: u32, W: u32, OH: u32,
  OW: u32, KH: u32, KW: u32, SH: u32,
  SW: u32, PH: u32, PW: u32, x_off: u32,
  y_off: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> arg: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.planes * OH * OW) { return; }
  let ow = i % OW;
  let oh = (i / OW) % OH;
  let plane = i / (OW * OH);
  let base = p.x_off + plane * H * W;
  var best = 0.0;      // only read once best_at >= 0: padding never wins (acts as -inf)
  var best_at = -1;
  for (var kh = 0u; kh < KH; kh++) {
    let ih = i32(oh * SH + kh) - i32(PH);
    if (ih < 0 || ih >= i32(H)) { continue; }
    for (var kw = 0u; kw < KW; kw++) {
      let iw = i32(ow * SW + kw) - i32(PW);
      if (iw < 0 || iw >= i32(W)) { continue; }
      let at = ih * i32(W) + iw;
      let v = x[base + u32(at)];
      if (v > best || (v != v && best == best) || best_at < 0) {
        best = v;
        best_at = at;
      }
    }
  }
  y[p.y_off + i] = best;
  arg[p.y_off + i] = best_at;
}
