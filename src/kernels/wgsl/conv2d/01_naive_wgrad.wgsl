// conv2d/01_naive_wgrad.wgsl — weight gradient, one invocation per weight: rung 01.
//
// Math:     dw[co, ci, ky, kx] = sum_{n, oy, ox} dy[n, co, oy, ox] * x[n, g*Cg + ci, iy, ix]
//             with g = co / Kg, iy = oy*sh - ph + ky*dh, ix = ox*sw - pw + kx*dw
//           (padding taps contribute zero). ACCUMULATE adds to dw instead of overwriting it:
//           the host uses it when the batch is split into chunks that each fit one binding.
// Layout:   as in 01_naive.wgsl; dw has the weight's layout [K, Cg, KH, KW].
// Threads:  one invocation per dw element, 256 per workgroup, 2-D grid
//             i = gid.x + gid.y * (nwg.x * 256)  ->  (co, ci, ky, kx), kx innermost.
// Work:     N*OH*OW multiply-adds with 2 loads each, in one long serial sum: few
//           invocations (K*Cg*KH*KW) each doing a lot of work is why this is slow.
// Memory:   no workgroup memory.   Bounds: i >= K*Cg*KH*KW returns at once.

override ACCUMULATE: bool = false;

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  k: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  x_off: u32, y_off: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let cg = p.c / p.groups;
  if (i >= p.k * cg * p.kh * p.kw) { return; }
  let kx = i % p.kw;
  let ky = (i / p.kw) % p.kh;
  let ci = (i / (p.kw * p.kh)) % cg;
  let co = i / (p.kw * p.kh * cg);
  let c = (co / (p.k / p.groups)) * cg + ci;

  var acc = 0.0;
  for (var n = 0u; n < p.n; n++) {
    for (var oy = 0u; oy < p.oh; oy++) {
      let iy = i32(oy * p.sh) - p.ph + i32(ky * p.dh);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      for (var ox = 0u; ox < p.ow; ox++) {
        let ix = i32(ox * p.sw) - p.pw + i32(kx * p.dw);
        if (ix < 0 || ix >= i32(p.w)) { continue; }
        acc += dy[p.y_off + ((n * p.k + co) * p.oh + oy) * p.ow + ox] * x[p.x_off + ((n * p.c + c) * p.h + u32(iy)) * p.w + u32(ix)];
      }
    }
  }
  if (ACCUMULATE) { acc += dw[i]; }
  dw[i] = acc;
}
