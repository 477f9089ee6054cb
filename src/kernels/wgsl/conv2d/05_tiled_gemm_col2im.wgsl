// conv2d/05_tiled_gemm_col2im.wgsl — the data gradient's second half on the GPU path: fold the
// column gradient back onto the image (col2im), as a gather, so no two invocations add
// into the same element.
//
// Math:     the first half is one GEMM per group (matmul/06_tiled_prefetch.wgsl by default,
//           or 05: GPU_GEMM; host code in src/tensor/ops/conv2d/05_tiled_gemm.ts):
//             dcol[g's rows, :] = W_gᵀ · dy_g        dcol [C*KH*KW, nb*OH*OW], pixel-major
//           (the transpose of the forward pass's y = W·col). Then every input element sums
//           the column entries that the forward im2col (02, LAYOUT 1) copied it into:
//             dx[n, c, iy, ix] = sum over (ky, kx) with  ty = iy + ph - ky*dh,
//                                tx = ix + pw - kx*dw  divisible by (sh, sw) and
//                                oy = ty / sh < OH, ox = tx / sw < OW  of
//                                dcol[(c*KH + ky)*KW + kx, n*OH*OW + oy*OW + ox]
// Layout:   dcol [C*KH*KW, nb*OH*OW] contiguous; dx NCHW from x_off (batch chunk).
// Threads:  one invocation per dx element, 256 per workgroup, 2-D grid
//             i = gid.x + gid.y * (nwg.x * 256)  ->  (n, c, iy, ix), ix innermost.
// Work:     KH*KW candidate taps, of which about KH*KW/(sh*sw) are loads; one store.
// Memory:   no workgroup memory.   Bounds: i >= nb*C*H*W returns; taps outside are skipped.
// Changed from 03_implicit_gemm_dgrad: the FLOPs moved into a tiled GEMM; this pass only moves bytes.

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  k: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  x_off: u32, y_off: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dcol: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n * p.c * p.h * p.w) { return; }
  let ix = i32(i % p.w);
  let iy = i32((i / p.w) % p.h);
  let c = (i / (p.w * p.h)) % p.c;
  let n = i / (p.w * p.h * p.c);
  let q_n = p.oh * p.ow;
  let cols = p.n * q_n;  // row length of dcol
  var acc = 0.0;
  for (var ky = 0u; ky < p.kh; ky++) {
    let ty = iy + p.ph - i32(ky * p.dh);
    if (ty < 0 || u32(ty) % p.sh != 0u) { continue; }
    let oy = u32(ty) / p.sh;
    if (oy >= p.oh) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      let tx = ix + p.pw - i32(kx * p.dw);
      if (tx < 0 || u32(tx) % p.sw != 0u) { continue; }
      let ox = u32(tx) / p.sw;
      if (ox >= p.ow) { continue; }
      acc += dcol[((c * p.kh + ky) * p.kw + kx) * cols + n * q_n + oy * p.ow + ox];
    }
  }
  dx[p.x_off + i] = acc;
}
