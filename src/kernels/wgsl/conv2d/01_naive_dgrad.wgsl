// conv2d/01_naive_dgrad.wgsl — data gradient dx, one invocation per input value, by gather.
//
// Math:     forward: y[n, co, oy, ox] += x[n, c, iy, ix] * w[co, ci, ky, kx] whenever
//             iy = oy*sh - ph + ky*dh  and  ix = ox*sw - pw + kx*dw   (c = g*Cg + ci).
//           So each x value receives, from every tap (co, ky, kx) of its group:
//             dx[n, c, iy, ix] = sum_{co in group g, ky, kx} dy[n, co, oy, ox] * w[co, ci, ky, kx]
//           where oy = (iy + ph - ky*dh) / sh must be an integer in [0, OH) (same for ox).
//           With sh = sw = 1 this is a convolution of dy with the flipped, transposed filter;
//           with stride > 1 only the taps whose output position is integral contribute,
//           which the divisibility test below selects. No atomics: each invocation owns
//           one dx element and sums its taps in a fixed order (deterministic).
// Layout:   as in 01_naive.wgsl; dx uses x_off, dy uses y_off.
// Threads:  one invocation per dx element, 256 per workgroup, 2-D grid
//             i = gid.x + gid.y * (nwg.x * 256)  ->  (n, c, iy, ix), ix innermost.
// Work:     Kg*KH*KW taps, of which about 1/(sh*sw) are valid.
// Memory:   no workgroup memory.   Bounds: i >= N*C*H*W returns at once.
// Why keep it: the formula written out, which the faster dgrad versions are read against
//           (all of them are tested against the float64 oracle, src/tensor/reference/).

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  k: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  x_off: u32, y_off: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n * p.c * p.h * p.w) { return; }
  let ix = i % p.w;
  let iy = (i / p.w) % p.h;
  let c = (i / (p.w * p.h)) % p.c;
  let n = i / (p.w * p.h * p.c);
  let cg = p.c / p.groups;
  let kg = p.k / p.groups;
  let g = c / cg;
  let ci = c - g * cg;

  var acc = 0.0;
  for (var co = g * kg; co < (g + 1u) * kg; co++) {
    for (var ky = 0u; ky < p.kh; ky++) {
      let ty = i32(iy) + p.ph - i32(ky * p.dh);
      if (ty < 0 || ty % i32(p.sh) != 0) { continue; }
      let oy = u32(ty) / p.sh;
      if (oy >= p.oh) { continue; }
      for (var kx = 0u; kx < p.kw; kx++) {
        let tx = i32(ix) + p.pw - i32(kx * p.dw);
        if (tx < 0 || tx % i32(p.sw) != 0) { continue; }
        let ox = u32(tx) / p.sw;
        if (ox >= p.ow) { continue; }
        acc += dy[p.y_off + ((n * p.k + co) * p.oh + oy) * p.ow + ox] * w[((co * cg + ci) * p.kh + ky) * p.kw + kx];
      }
    }
  }
  dx[p.x_off + i] = acc;
}
