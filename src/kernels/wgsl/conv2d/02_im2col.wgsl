// conv2d/02_im2col.wgsl — writes im2col(x): every receptive field as a column, so that the
// convolution becomes one GEMM per group (rung 02 runs matmul/02_register_blocked.wgsl for it,
// always that one; host code 02_im2col.ts).
//
// Math:     col[n, row, q] = x[n, c, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw]   (0 in the padding)
//             row = (c*KH + ky)*KW + kx   over C*KH*KW rows (all groups: group g owns rows
//                                          [g*Cg*KH*KW, (g+1)*Cg*KH*KW), a contiguous block)
//             q   = oy*OW + ox             over OH*OW columns
//           then, per image n and group g:  y[n, g*Kg .. (g+1)*Kg, :] = W_g · col[n, rows of g, :]
//           with W_g = w[g*Kg .. (g+1)*Kg, :] viewed as [Kg, Cg*KH*KW]  (M = Kg, N = OH*OW,
//           K = Cg*KH*KW), and bias + ReLU in 02_im2col_bias_act.wgsl afterwards.
// Layout:   x NCHW from x_off (batch chunk); col [nb, C*KH*KW, OH*OW] contiguous (LAYOUT 0,
//           one GEMM per image), or col [C*KH*KW, nb*OH*OW] (LAYOUT 1, pixel-major across the
//           batch: one GEMM over every pixel of the chunk, the GPU path 05_tiled_gemm,
//           whose weight gradient and data gradient use the same layout).
// Threads:  one invocation per col element, 256 per workgroup, 2-D grid
//             i = gid.x + gid.y * (nwg.x * 256)  ->  (n, row, q), q innermost, so neighbouring
//           invocations read neighbouring x values (stride sw) and write neighbouring col values.
// Work:     one load, one store. The price of this version: col holds KH*KW/(sh*sw) copies of
//           x (conv2: 25x), written once and read back by the GEMM, and it must be split over
//           the batch to fit one binding.
// Memory:   no workgroup memory.   Bounds: i >= nb*C*KH*KW*OH*OW returns; padding writes 0.

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  k: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  x_off: u32, y_off: u32, _pad0: u32, _pad1: u32,
}

override LAYOUT: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> col: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let q_n = p.oh * p.ow;
  let rows = p.c * p.kh * p.kw;
  if (i >= p.n * rows * q_n) { return; }
  let q = i % q_n;
  var row = (i / q_n) % rows;
  var n = i / (q_n * rows);
  if (LAYOUT == 1u) {
    n = (i / q_n) % p.n;
    row = i / (q_n * p.n);
  }
  let kx = row % p.kw;
  let ky = (row / p.kw) % p.kh;
  let c = row / (p.kw * p.kh);
  let iy = i32((q / p.ow) * p.sh) - p.ph + i32(ky * p.dh);
  let ix = i32((q % p.ow) * p.sw) - p.pw + i32(kx * p.dw);
  var v = 0.0;
  if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
    v = x[p.x_off + ((n * p.c + c) * p.h + u32(iy)) * p.w + u32(ix)];
  }
  col[i] = v;
}
