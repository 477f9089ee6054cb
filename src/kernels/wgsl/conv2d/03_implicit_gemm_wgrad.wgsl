// conv2d/03_implicit_gemm_wgrad.wgsl — weight gradient as an implicit GEMM split over pixels
// (split-K), writing partial sums; wgrad_reduce.wgsl adds them in a fixed order.
//
// Math:     dw[g*Kg + j, r] = sum_{q} dy[n, g*Kg + j, oy, ox] * x[n, g*Cg + ci, iy, ix]
//             r = (ci*KH + ky)*KW + kx,  q = (n, oy, ox),  iy = oy*sh - ph + ky*dh, ix = ox*sw - pw + kx*dw
//           = im2col(x)ᵀ · dy per group: M = R = Cg*KH*KW taps, N = Kg channels, and the
//           reduction runs over the Q = N*OH*OW pixels. Split-K: the pixels are cut into S
//           slices (`slices` per batch chunk); slice s writes
//             part[s, g*Kg + j, r]      (part is [S, K, R], one partial dw per slice)
//           and wgrad_reduce sums part over s in order 0..S-1 (adding to dw for the second
//           and later batch chunks): deterministic, no atomics.
// Layout:   x NCHW from x_off (batch chunk); dy as dyt[g, q, j] (pack_dy.wgsl, channel-last,
//           `cols` = Kg rounded up to 4*COV, zero padded); part_off = 0 (reserved).
// Threads:  workgroup (bx, by, g*S + s): invocation l owns the TAPS taps r = (bx*TAPS + i)*WG + l
//           and the 4*COV channels j0 .. j0 + 4*COV - 1, j0 = by*4*COV; the dy index depends only
//           on the workgroup and the pixel counter, so dy values are uniform vec4 broadcasts
//           and x values are gathered (one per tap).
// Work:     per pixel: TAPS gathers of x, COV vec4 loads of dyt, TAPS*COV*4 multiply-adds.
// Memory:   no workgroup memory, no barriers.
// Bounds:   taps past R are clamped for loads and not stored; padding taps select 0; channels
//           past Kg are zero columns of dyt and not stored.
// Changed from 01_naive_wgrad: 2-D register blocks instead of one weight per invocation, and
//           S times more workgroups (each with an S times shorter sum), so small layers such
//           as conv1 (R = 363) still fill the machine.

override WG: u32 = 32u;   // CONV_TUNING.wgrad.WG (tuning.ts; fitWgrad may lower it)
override TAPS: u32 = 8u;
override COV: u32 = 8u;

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  k: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  x_off: u32, slices: u32, cols: u32, part_off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dyt: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let cg = p.c / p.groups;
  let kg = p.k / p.groups;
  let taps = p.kh * p.kw;
  let rn = cg * taps;
  let g = wid.z / p.slices;
  let s = wid.z % p.slices;
  let j0 = wid.y * COV * 4u;
  let ohw = p.oh * p.ow;
  let qn = p.n * ohw;
  let per = (qn + p.slices - 1u) / p.slices;
  let q0 = s * per;
  let q1 = min(q0 + per, qn);

  // per tap: input channel offset and kernel offsets
  var xc: array<i32, 8>;   // x offset of (0, g*Cg + ci, 0, 0)
  var ky: array<i32, 8>;   // ky*dh - ph
  var kx: array<i32, 8>;   // kx*dw - pw
  for (var i = 0u; i < TAPS; i++) {
    let r = min((wid.x * TAPS + i) * WG + lid, rn - 1u);
    let ci = r / taps;
    let t = r % taps;
    xc[i] = i32(p.x_off + (g * cg + ci) * p.h * p.w);
    ky[i] = i32((t / p.kw) * p.dh) - p.ph;
    kx[i] = i32((t % p.kw) * p.dw) - p.pw;
  }

  var acc: array<array<vec4f, 8>, 8>;   // acc[i][v] = dw[j0 + 4v .. j0 + 4v + 3, tap i]
  let wstep = p.cols / 4u;
  for (var q = q0; q < q1; q++) {
    let n = q / ohw;
    let oy = (q % ohw) / p.ow;
    let ox = q % p.ow;
    let nb = i32(n * p.c * p.h * p.w);
    let y0 = i32(oy * p.sh);
    let x0 = i32(ox * p.sw);
    var v: array<f32, 8>;
    for (var i = 0u; i < TAPS; i++) {
      let iy = y0 + ky[i];
      let ix = x0 + kx[i];
      let ok = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
      v[i] = select(0.0, x[u32(select(0, nb + xc[i] + iy * i32(p.w) + ix, ok))], ok);
    }
    let di = ((g * qn + q) * p.cols + j0) / 4u;
    for (var j = 0u; j < COV; j++) {
      let dv = dyt[di + j];
      for (var i = 0u; i < TAPS; i++) {
        acc[i][j] = fma(vec4f(v[i]), dv, acc[i][j]);
      }
    }
  }

  let slice = p.part_off + s * p.k * rn;
  for (var i = 0u; i < TAPS; i++) {
    let r = (wid.x * TAPS + i) * WG + lid;
    if (r >= rn) { continue; }
    for (var j = 0u; j < COV; j++) {
      for (var e = 0u; e < 4u; e++) {
        let jj = j0 + 4u * j + e;
        if (jj >= kg) { continue; }
        part[slice + (g * kg + jj) * rn + r] = acc[i][j][e];
      }
    }
  }
}
