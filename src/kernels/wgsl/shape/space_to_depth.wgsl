// shape/space_to_depth.wgsl — move each s×s block of pixels into s² channels, with padding:
// how a strided convolution becomes a stride-1 one (and then a Winograd one).
//
// Math:     out[b, (ci·s + dy)·s + dx, u, v] = x[b, ci, u·s + dy − ph, v·s + dx − pw]
//           (0 outside x), for dy, dx < s, u < OH, v < OW.
//           A conv with stride s, padding p and a KH×KW filter w equals the stride-1,
//           unpadded conv of out (padding ph = pw = p) with the filter w' = out of w (padding
//           0, OH = ceil(KH/s)): the tap ky = a·s + dy of the first is tap a of channel
//           (ci·s + dy)·s + dx of the second, and taps past KH are zeros.
// MODE 0:   the forward. One invocation per OUTPUT element gathers its input (or 0).
// MODE 1:   the gradient. Every input element lands in exactly one output element (or in
//           none, past OH/OW), so dx is a gather too: one invocation per INPUT element reads
//           g at u = (ih + ph) / s, dy = (ih + ph) % s (likewise for w), or writes 0.
// Layout:   x [N, C, H, W] and out [N, C·s·s, OH, OW], contiguous (NCHW).
// Threads:  one invocation per element written, 256 per workgroup, 2-D grid.
// Memory:   no workgroup memory. Every element is written exactly once, so no zero-fill.
// Division: every index is split with div() below, a float division and a fix-up: a CPU
//           driver has no SIMD integer division and would divide lane by lane.
// Bounds:   i >= total returns.

override MODE: u32 = 0u;

struct Params {
  total: u32,   // elements written: N·C·s²·OH·OW (MODE 0) or N·C·H·W (MODE 1)
  c: u32, h: u32, w: u32,
  s: u32, ph: u32, pw: u32,
  oh: u32, ow: u32,
  _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// n / d for a d known only at run time, without an integer division: a CPU driver has no SIMD
// integer division and divides lane by lane, while a float division is one SIMD instruction.
// The float quotient is off by at most one for n < 2^25; the remainder's sign fixes it.
fn div(n: u32, d: u32) -> u32 {
  var q = u32(f32(n) / f32(d));
  let r = i32(n) - i32(q * d);
  q = select(q, q - 1u, r < 0);
  return select(q, q + 1u, r >= i32(d));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.total) { return; }
  let s2 = p.s * p.s;
  if (MODE == 0u) {
    // i = ((b·C·s² + cc)·OH + u)·OW + v, cc = (ci·s + dy)·s + dx
    let i1 = div(i, p.ow);
    let v = i - i1 * p.ow;
    let i2 = div(i1, p.oh);
    let u = i1 - i2 * p.oh;
    let b = div(i2, p.c * s2);
    let cc = i2 - b * p.c * s2;
    let cs = div(cc, p.s);     // ci·s + dy
    let dx = cc - cs * p.s;
    let ci = div(cs, p.s);
    let dy = cs - ci * p.s;
    // signed, so that padding (negative coordinates) fails the range check
    let ih = i32(u * p.s + dy) - i32(p.ph);
    let iw = i32(v * p.s + dx) - i32(p.pw);
    var val = 0.0;
    if (ih >= 0 && ih < i32(p.h) && iw >= 0 && iw < i32(p.w)) {
      val = src[((b * p.c + ci) * p.h + u32(ih)) * p.w + u32(iw)];
    }
    dst[i] = val;
  } else {
    // i = ((b·C + ci)·H + ih)·W + iw; src is the gradient of out
    let i1 = div(i, p.w);
    let iw = i - i1 * p.w;
    let i2 = div(i1, p.h);
    let ih = i1 - i2 * p.h;
    let b = div(i2, p.c);
    let ci = i2 - b * p.c;
    let u = div(ih + p.ph, p.s);
    let v = div(iw + p.pw, p.s);
    var val = 0.0;
    if (u < p.oh && v < p.ow) {
      let cc = (ci * p.s + (ih + p.ph - u * p.s)) * p.s + (iw + p.pw - v * p.s);
      val = src[((b * p.c * s2 + cc) * p.oh + u) * p.ow + v];
    }
    dst[i] = val;
  }
}
