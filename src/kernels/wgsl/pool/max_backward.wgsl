// pool/max_backward.wgsl — dx of max pooling, as a GATHER (no atomics):
//           dx[p, ih, iw] = sum of dy[p, oh, ow] over the windows (oh, ow) that contain
//           (ih, iw) AND whose saved argmax is this element.
//
// Math:     window (oh, ow) covers ih iff oh*SH - PH <= ih < oh*SH - PH + KH, i.e.
//           ceil((ih + PH - KH + 1) / SH) <= oh <= floor((ih + PH) / SH), clipped to [0, OH);
//           the same for iw. The argmax comes from max_forward.wgsl, so ties resolve exactly
//           as in the forward pass.
// Layout:   dy and arg [planes, OH, OW]; dx [planes, H, W]; contiguous.
// Threads:  one invocation per INPUT element, 256 per workgroup, 2-D grid.
// Work:     ceil(KH/SH) * ceil(KW/SW) windows per invocation (4 for 3x3 stride 2): always
//           that many, the ones past the element's last covering window masked off.
// Memory:   none. Bounds: i >= planes*H*W returns.
// Chunks:   a batch too large for one storage binding is processed a few images at a time;
//           each binding then starts at an aligned offset before the chunk, and x_off / y_off
//           (elements) lead from there to the chunk's first x-shaped / y-shaped element.
// Changed:  the window loops ran from the first to the last covering window, a trip count
//           that differs between neighbouring invocations; fixed counts (NY x NX) with a
//           mask unroll and keep the SIMD lanes together
//           (figures: BENCHMARKS.md, "Kernel design measurements").

// The geometry as override constants, set by the host when it creates the pipeline (the
// same values as in `p`, whose layout max_forward.wgsl shares): every division and
// remainder below is then by a constant, which the compiler turns into multiplies — a CPU
// driver has no SIMD integer division. One pipeline per pool shape.
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
override NY: u32 = (KH + SH - 1u) / SH;   // windows per input row at most: ceil(KH / SH)
override NX: u32 = (KW + SW - 1u) / SW;

struct Params {
  planes: u32, H: u32, W: u32, OH: u32,
  OW: u32, KH: u32, KW: u32, SH: u32,
  SW: u32, PH: u32, PW: u32, x_off: u32,
  y_off: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> arg: array<i32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// first and one-past-last output index whose window covers input index `i`
fn cover(i: u32, K: u32, S: u32, P: u32, O: u32) -> vec2u {
  let hi = (i + P) / S + 1u;                       // windows starting at or before i
  let first = i32(i + P) - i32(K) + 1;             // may be negative: i32
  var lo = 0u;
  if (first > 0) { lo = (u32(first) + S - 1u) / S; }
  return vec2u(lo, min(hi, O));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.planes * H * W) { return; }
  let iw = i % W;
  let ih = (i / W) % H;
  let plane = i / (W * H);
  let me = i32(ih * W + iw);
  let rows = cover(ih, KH, SH, PH, OH);
  let cols = cover(iw, KW, SW, PW, OW);
  var acc = 0.0;
  // fixed trip counts (the most windows any element is in), masked: the loops unroll, and
  // neighbouring invocations (SIMD lanes) run the same instructions
  for (var a = 0u; a < NY; a++) {
    let oh = rows.x + a;
    for (var b = 0u; b < NX; b++) {
      let ow = cols.x + b;
      let live = oh < rows.y && ow < cols.y;
      let o = p.y_off + (plane * OH + min(oh, OH - 1u)) * OW + min(ow, OW - 1u);
      if (live && arg[o] == me) { acc += dy[o]; }
    }
  }
  dx[p.x_off + i] = acc;
}
