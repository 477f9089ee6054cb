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

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.total) { return; }
  let s2 = p.s * p.s;
  if (MODE == 0u) {
    // i = ((b·C·s² + cc)·OH + u)·OW + v, cc = (ci·s + dy)·s + dx
    let v = i % p.ow;
    let u = (i / p.ow) % p.oh;
    let cc = (i / (p.ow * p.oh)) % (p.c * s2);
    let b = i / (p.ow * p.oh * p.c * s2);
    let ci = cc / s2;
    let dy = (cc / p.s) % p.s;
    let dx = cc % p.s;
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
    let iw = i % p.w;
    let ih = (i / p.w) % p.h;
    let ci = (i / (p.w * p.h)) % p.c;
    let b = i / (p.w * p.h * p.c);
    let u = (ih + p.ph) / p.s;
    let v = (iw + p.pw) / p.s;
    var val = 0.0;
    if (u < p.oh && v < p.ow) {
      let cc = (ci * p.s + (ih + p.ph) % p.s) * p.s + (iw + p.pw) % p.s;
      val = src[((b * p.c * s2 + cc) * p.oh + u) * p.ow + v];
    }
    dst[i] = val;
  }
}
