// conv2d/01_naive.wgsl — direct convolution, one invocation per output value: rung 01.
//
// Math:     y[n, co, oy, ox] = bias[co] + sum_{ci, ky, kx} x[n, g*Cg + ci, iy, ix] * w[co, ci, ky, kx]
//             with  g = co / Kg  (the group of output channel co; Kg = K / groups, Cg = C / groups)
//                   iy = oy*sh - ph + ky*dh,   ix = ox*sw - pw + kx*dw
//           taps with iy or ix outside the input read the zero padding (they are skipped).
//           EPILOGUE: 0 none, 1 + bias[co], 2 + bias[co] then ReLU.
// Layout:   NCHW activations, PyTorch weights [K, Cg, KH, KW], all contiguous:
//             x[n, c, iy, ix]  = x[x_off + ((n*C + c)*H + iy)*W + ix]
//             y[n, co, oy, ox] = y[y_off + ((n*K + co)*OH + oy)*OW + ox]
//             w[co, ci, ky, kx] = w[((co*Cg + ci)*KH + ky)*KW + kx]
//           x_off / y_off: the host binds a batch chunk from an aligned offset just below it.
// Threads:  one invocation per output element, 256 per workgroup, on a 2-D grid:
//             i = gid.x + gid.y * (nwg.x * 256), then i -> (n, co, oy, ox) innermost ox.
// Work:     Cg*KH*KW multiply-adds, 2 loads each; nothing is reused between invocations.
// Memory:   no workgroup memory.
// Bounds:   invocations with i >= N*K*OH*OW return at once; padding taps are skipped.
// Why keep it: it is the formula, written out, and the first rung of the ladder: every version
//           (this one too) is tested against the float64 oracle, src/tensor/reference/.

override EPILOGUE: u32 = 0u;

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  k: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  x_off: u32, y_off: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n * p.k * p.oh * p.ow) { return; }
  let ox = i % p.ow;
  let oy = (i / p.ow) % p.oh;
  let co = (i / (p.ow * p.oh)) % p.k;
  let n = i / (p.ow * p.oh * p.k);
  let cg = p.c / p.groups;
  let kg = p.k / p.groups;
  let c0 = (co / kg) * cg;

  var acc = 0.0;
  for (var ci = 0u; ci < cg; ci++) {
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * p.sh) - p.ph + i32(ky * p.dh);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      for (var kx = 0u; kx < p.kw; kx++) {
        let ix = i32(ox * p.sw) - p.pw + i32(kx * p.dw);
        if (ix < 0 || ix >= i32(p.w)) { continue; }
        let xv = x[p.x_off + ((n * p.c + c0 + ci) * p.h + u32(iy)) * p.w + u32(ix)];
        let wv = w[((co * cg + ci) * p.kh + ky) * p.kw + kx];
        acc += xv * wv;
      }
    }
  }
  if (EPILOGUE >= 1u) { acc += bias[co]; }
  if (EPILOGUE == 2u) { acc = max(acc, 0.0); }
  y[p.y_off + i] = acc;
}
