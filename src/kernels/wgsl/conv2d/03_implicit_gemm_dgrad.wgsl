// conv2d/03_implicit_gemm_dgrad.wgsl — data gradient as an implicit GEMM: the gather of
// 01_naive_dgrad.wgsl, register-blocked like 03_implicit_gemm.wgsl.
//
// Math:     dx[n, g*Cg + ci, iy, ix] = sum_{co < Kg, ky, kx} dy[n, g*Kg + co, oy, ox] * w[g*Kg + co, ci, ky, kx]
//             over the taps whose output position is integral and inside dy:
//             oy = (iy + ph - ky*dh) / sh  with  (iy + ph - ky*dh) % sh == 0, 0 <= oy < OH   (same for ox)
//           As a GEMM per group g:  M = N*H*W input pixels,  N = Cg input channels,
//             K = Kg*KH*KW taps r = (co, ky, kx);  A[m, r] = dy at the tap (0 when the tap is
//             not integral or falls outside dy),  B[r, ci] = wp[g, r, ci] (the weight packed by
//             pack_weight.wgsl MODE 1: the filter transposed to [Kg*KH*KW, Cg] per group —
//             "the flipped, transposed filter" of the stride-1 case, read by tap).
//           No atomics: every invocation owns its dx values and sums taps in a fixed order.
// Layout:   dx uses x_off, dy uses y_off (batch chunks), NCHW; `cols` = Cg rounded up to 4*COV.
// Stride:   with stride > 1 a tap (ky, kx) is integral for input row iy only when
//           (iy + ph - ky*dh) % sh == 0. The input pixels are therefore split into sh*sw
//           PHASES, (py, px) = ((iy + ph) % sh, (ix + pw) % sw); inside one phase the valid taps
//           are the same for every pixel — (ky*dh) % sh == py, (kx*dw) % sw == px — so the
//           skip is a uniform branch and no work is wasted on taps that do not exist.
//           (Stride 1 has one phase: every tap is valid.)
// UNIT_STRIDE (sh = sw = 1, set by the host): one flat loop over the taps r = (co, ky, kx)
//           with counters, like 03_implicit_gemm.wgsl, and no division: oy = iy + ph - ky*dh
//           directly. The general loop above divides (ty / sh) per pixel per tap; a CPU
//           driver has no SIMD integer division, so that loop ran conv2-5's data gradient
//           well below the forward pass's speed on lavapipe (figures: docs/conv2d.md).
// Threads:  workgroup (bx, by, g*sh*sw + phase): invocation l owns PIX input pixels of that
//           phase, m = (bx*PIX + i)*WG + l over the phase's N*Hp*Wp pixels
//           (iy = ry0 + u*sh, ix = rx0 + v*sw), and the 4*COV input channels
//           ci0 .. ci0 + 4*COV - 1, ci0 = by*4*COV. The weight index is uniform in the
//           workgroup (a broadcast on a CPU driver); dy is gathered.
// Work:     per valid tap: PIX gathers of dy, COV vec4 loads of wp, PIX*COV*4 multiply-adds.
// Memory:   no workgroup memory, no barriers.
// Bounds:   pixels past M are clamped for loads and not stored; invalid taps select 0 (the
//           address is clamped to 0 first); channels past Cg are zero columns, not stored.
// Changed from 01_naive_dgrad: PIX*4*COV outputs per invocation instead of one, so each
//           dy value is loaded once per 4*COV channels and each weight once per PIX*WG pixels;
//           and strided convolutions skip the non-integral taps by phase instead of testing
//           every tap of every pixel.

override WG: u32 = 32u;   // CONV_TUNING.dgrad.WG (tuning.ts)
override PIX: u32 = 8u;
override COV: u32 = 8u;
override UNIT_STRIDE: bool = false;

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  k: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  x_off: u32, y_off: u32, cols: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> wp: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let hw = p.h * p.w;
  let cg = p.c / p.groups;
  let kg = p.k / p.groups;
  let phases = p.sh * p.sw;
  let g = wid.z / phases;
  let py = (wid.z % phases) / p.sw;
  let px = wid.z % p.sw;
  // the input pixels of this phase: (iy + ph) % sh == py and (ix + pw) % sw == px
  let ry0 = (py + p.sh - u32(p.ph) % p.sh) % p.sh;
  let rx0 = (px + p.sw - u32(p.pw) % p.sw) % p.sw;
  if (ry0 >= p.h || rx0 >= p.w) { return; }
  let hp = (p.h - ry0 + p.sh - 1u) / p.sh;
  let wq = (p.w - rx0 + p.sw - 1u) / p.sw;
  let npix = p.n * hp * wq;
  if (wid.x * PIX * WG >= npix) { return; }   // uniform: this phase has fewer pixels
  let c0 = wid.y * COV * 4u;
  let ohw = i32(p.oh * p.ow);
  let sh = i32(p.sh);
  let sw = i32(p.sw);

  var xo: array<u32, 8>;   // dx offset of (n, 0, iy, ix)
  var yb: array<i32, 8>;   // dy offset of (n, g*Kg, 0, 0)
  var ty0: array<i32, 8>;  // iy + ph
  var tx0: array<i32, 8>;  // ix + pw
  for (var i = 0u; i < PIX; i++) {
    let m = min((wid.x * PIX + i) * WG + lid, npix - 1u);
    let n = m / (hp * wq);
    let iy = ry0 + ((m / wq) % hp) * p.sh;
    let ix = rx0 + (m % wq) * p.sw;
    xo[i] = n * p.c * hw + iy * p.w + ix;
    yb[i] = i32(p.y_off + (n * p.k + g * kg) * p.oh * p.ow);
    ty0[i] = i32(iy) + p.ph;
    tx0[i] = i32(ix) + p.pw;
  }

  var acc: array<array<vec4f, 8>, 8>;
  var wi = (g * kg * p.kh * p.kw * p.cols + c0) / 4u;
  let wstep = p.cols / 4u;
  if (UNIT_STRIDE) {
    // dy offset of tap (co, ky, kx) = yb + co*OH*OW + (iy + ph - ky*dh)*OW + (ix + pw - kx*dw)
    var yoff: array<i32, 8>;
    for (var i = 0u; i < PIX; i++) { yoff[i] = yb[i] + ty0[i] * i32(p.ow) + tx0[i]; }
    let taps = kg * p.kh * p.kw;
    var co = 0u;
    var ky = 0u;
    var kx = 0u;
    for (var r = 0u; r < taps; r++) {
      let ry = i32(ky * p.dh);
      let rx = i32(kx * p.dw);
      let tapOff = i32(co) * ohw - ry * i32(p.ow) - rx;
      var v: array<f32, 8>;
      for (var i = 0u; i < PIX; i++) {
        let oy = ty0[i] - ry;
        let ox = tx0[i] - rx;
        let ok = oy >= 0 && oy < i32(p.oh) && ox >= 0 && ox < i32(p.ow);
        v[i] = select(0.0, dy[u32(select(0, yoff[i] + tapOff, ok))], ok);
      }
      for (var j = 0u; j < COV; j++) {
        let wv = wp[wi + j];
        for (var i = 0u; i < PIX; i++) {
          acc[i][j] = fma(vec4f(v[i]), wv, acc[i][j]);
        }
      }
      wi += wstep;
      kx++;
      if (kx == p.kw) { kx = 0u; ky++; if (ky == p.kh) { ky = 0u; co++; } }
    }
  } else {
    for (var co = 0u; co < kg; co++) {
      for (var ky = 0u; ky < p.kh; ky++) {
        // uniform: only the taps of this phase land on an output row
        if ((ky * p.dh) % p.sh != py) { wi += p.kw * wstep; continue; }
        var row: array<i32, 8>;
        var rowOk: array<bool, 8>;
        for (var i = 0u; i < PIX; i++) {
          let ty = ty0[i] - i32(ky * p.dh);
          let oy = ty / sh;
          rowOk[i] = ty >= 0 && oy < i32(p.oh);
          row[i] = yb[i] + oy * i32(p.ow);
        }
        for (var kx = 0u; kx < p.kw; kx++) {
          if ((kx * p.dw) % p.sw != px) { wi += wstep; continue; }
          var v: array<f32, 8>;
          for (var i = 0u; i < PIX; i++) {
            let tx = tx0[i] - i32(kx * p.dw);
            let ox = tx / sw;
            let ok = rowOk[i] && tx >= 0 && ox < i32(p.ow);
            v[i] = select(0.0, dy[u32(select(0, row[i] + ox, ok))], ok);
          }
          for (var j = 0u; j < COV; j++) {
            let wv = wp[wi + j];
            for (var i = 0u; i < PIX; i++) {
              acc[i][j] = fma(vec4f(v[i]), wv, acc[i][j]);
            }
          }
          wi += wstep;
        }
      }
      for (var i = 0u; i < PIX; i++) { yb[i] += ohw; }
    }
  }

  for (var i = 0u; i < PIX; i++) {
    let m = (wid.x * PIX + i) * WG + lid;
    if (m >= npix) { continue; }
    for (var j = 0u; j < COV; j++) {
      for (var e = 0u; e < 4u; e++) {
        let ci = c0 + 4u * j + e;
        if (ci >= cg) { continue; }
        dx[p.x_off + xo[i] + (g * cg + ci) * hw] = acc[i][j][e];
      }
    }
  }
}
