// conv2d/03_implicit_gemm.wgsl — convolution as a GEMM whose operands are never written
// out: register-blocked, with the weight read as uniform vec4 broadcasts.
//
// Math:     for each group g, Y_g = A · B_g with
//             M = N*OH*OW output pixels  m = (n, oy, ox)
//             N = Kg output channels     j = co - g*Kg
//             K = Cg*KH*KW taps          r = (ci, ky, kx)
//             A[m, r] = x[n, g*Cg + ci, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw]  (0 in the padding)
//                       — im2col(x), computed on the fly from the indices, never stored
//             B[r, j] = wp[g, r, j]  (the weight packed by pack_weight.wgsl MODE 0:
//                       [groups, K, J] with J = Kg rounded up to the channel block, zeros past Kg)
//           then the epilogue: + bias[co] (EPILOGUE >= 1), ReLU (EPILOGUE == 2).
// Layout:   x, y NCHW as in 01_naive.wgsl (x_off / y_off for batch chunks); `cols` = J.
// Threads:  workgroup (bx, by, g): WG invocations; invocation l owns PIX pixels
//             m = (bx*PIX + i)*WG + l,  i < PIX
//           and the 4*COV output channels j0 .. j0 + 4*COV - 1, j0 = by*4*COV, of group g.
//           So inside a workgroup every invocation uses the SAME weights: the weight index
//           depends only on the workgroup id and the loop counters (it is uniform).
// Work:     per tap r: PIX loads of x (one per pixel, each a gather across invocations) and
//           COV vec4 loads of B (uniform: on a CPU driver one scalar load broadcast to all
//           SIMD lanes), then PIX*COV*4 multiply-adds into PIX*COV vec4 accumulators.
//           ONE loop runs over the taps r, carrying (ci, ky, kx) as counters (no division);
//           a nest ci / ky / kx with the row check hoisted out of kx was slower on lavapipe
//           (for KW = 3 the short inner loop's overhead dominates).
//           Block shape: 8x8 (PIX x COV) measured best on lavapipe, ahead of smaller blocks
//           and of arrays sized 16 (spilling past L1); the figures are in docs/conv2d.md.
// Memory:   no workgroup memory and no barriers: on lavapipe the register block with
//           broadcast loads beats staging tiles in workgroup memory (see docs/conv2d.md).
// Bounds:   pixels past M are clamped to the last one for loading and not stored; padding
//           taps select 0 (the load address is clamped to 0 first); channels past Kg are
//           zero columns of wp and not stored.
// Changed from 02_im2col: no im2col buffer (no write and re-read of Cg*KH*KW values per
//           pixel, and no batch chunking of it), the bias + ReLU epilogue is fused, and the
//           weight is a broadcast operand instead of a second gathered one.

override WG: u32 = 16u;        // invocations per workgroup: CONV_TUNING.forward.WG (tuning.ts)
override PIX: u32 = 8u;        // pixels per invocation (1..8)
override COV: u32 = 8u;        // vec4s of output channels per invocation (1..8)
override EPILOGUE: u32 = 0u;   // 0 none, 1 + bias, 2 + bias then ReLU

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  k: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  x_off: u32, y_off: u32, cols: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wp: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let ohw = p.oh * p.ow;
  let npix = p.n * ohw;
  let cg = p.c / p.groups;
  let kg = p.k / p.groups;
  let g = wid.z;
  let j0 = wid.y * COV * 4u;
  let hw = i32(p.h * p.w);

  // per pixel: where its receptive field starts
  var xb: array<i32, 8>;   // x offset of (n, g*Cg, 0, 0)
  var iy0: array<i32, 8>;
  var ix0: array<i32, 8>;
  for (var i = 0u; i < PIX; i++) {
    let m = min((wid.x * PIX + i) * WG + lid, npix - 1u);
    let n = m / ohw;
    let r = m % ohw;
    xb[i] = i32(p.x_off + (n * p.c + g * cg) * p.h * p.w);
    iy0[i] = i32((r / p.ow) * p.sh) - p.ph;
    ix0[i] = i32((r % p.ow) * p.sw) - p.pw;
  }

  var acc: array<array<vec4f, 8>, 8>;
  var wi = (g * cg * p.kh * p.kw * p.cols + j0) / 4u;
  let wstep = p.cols / 4u;
  var xoff: array<i32, 8>;   // xb + iy0*W + ix0
  for (var i = 0u; i < PIX; i++) { xoff[i] = xb[i] + iy0[i] * i32(p.w) + ix0[i]; }
  let taps = cg * p.kh * p.kw;
  var ci = 0u;
  var ky = 0u;
  var kx = 0u;
  for (var r = 0u; r < taps; r++) {
    let ry = i32(ky * p.dh);   // the tap's offset from the receptive field's corner
    let rx = i32(kx * p.dw);
    let tapOff = i32(ci) * hw + ry * i32(p.w) + rx;
    var xv: array<f32, 8>;
    for (var i = 0u; i < PIX; i++) {
      let iy = iy0[i] + ry;
      let ix = ix0[i] + rx;
      let ok = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
      xv[i] = select(0.0, x[u32(select(0, xoff[i] + tapOff, ok))], ok);
    }
    for (var v = 0u; v < COV; v++) {
      let wv = wp[wi + v];
      for (var i = 0u; i < PIX; i++) {
        acc[i][v] = fma(vec4f(xv[i]), wv, acc[i][v]);
      }
    }
    wi += wstep;
    kx++;
    if (kx == p.kw) { kx = 0u; ky++; if (ky == p.kh) { ky = 0u; ci++; } }
  }

  for (var i = 0u; i < PIX; i++) {
    let m = (wid.x * PIX + i) * WG + lid;
    if (m >= npix) { continue; }
    let yb = p.y_off + (m / ohw) * p.k * ohw + m % ohw;
    for (var v = 0u; v < COV; v++) {
      for (var e = 0u; e < 4u; e++) {
        let j = j0 + 4u * v + e;
        if (j >= kg) { continue; }
        let co = g * kg + j;
        var val = acc[i][v][e];
        if (EPILOGUE >= 1u) { val += bias[co]; }
        if (EPILOGUE == 2u) { val = max(val, 0.0); }
        y[yb + co * ohw] = val;
      }
    }
  }
}
