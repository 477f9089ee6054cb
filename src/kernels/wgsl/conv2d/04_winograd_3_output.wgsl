// conv2d/04_winograd_3_output.wgsl — Winograd step 3 of 3 (after the GEMM): turn each tile's
// AY x AX products back into my x mx output pixels, Y = Aᵀ_y M A_x, then bias and ReLU.
//
// Math:     y[n, k, ty*my + i, tx*mx + j] = sum_{a, b} AT_y[i, a] * M[n, a*AX + b, k, ty, tx] * AT_x[j, b]
//                                           (+ bias[k]) (then max(., 0))
//           where M[n, xi, k, t] = sum_c U[xi, c, k] * V[n, xi, c, t] came from the GEMM step
//           (03_implicit_gemm run as a 1x1 conv: one independent GEMM per xi).
// Layout:   M [nb, AY*AX*K, TH, TW] (channel xi*K + k); LAYOUT 1 (06_winograd_gemm):
//           point-major, M[xi, k, n*TH*TW + t] with rows of `cols` values; y NCHW [N, K, OH,
//           OW] (y_off: a batch chunk's start). Aᵀ_y (MY x AY) then Aᵀ_x (MX x AX) in `mats`.
//           TRANSPOSED (LAYOUT 0, a weight gradient's taps: one image, one 1x1 "tile" per
//           (k, c) of each group): M's channels hold each group's sums as Cg x Kg instead of
//           Kg x Cg (06_winograd_gemm's GEMM computes them that way where they fit its blocks
//           better); output channel (g, k, c) reads M's channel (g, c, k).
// Threads:  one invocation per (n, k, ty, tx), tx fastest; 256 per workgroup, 2-D grid.
// Work:     AY*AX loads, my*AY*AX + my*mx*AX multiply-adds, up to my*mx stores.
// Loops:    the loops over a tile are marked `// @unroll`: the host expands them for the
//           pipeline's tile sizes before compiling (src/tensor/unroll.ts), so every index into
//           the tile's private arrays is a constant on every compiler (Firefox's adds a guard to
//           each loop, and Mesa then unrolls none).
// Memory:   no workgroup memory.
// Bounds:   invocations past nb*K*TH*TW return; pixels of edge tiles past OH or OW are
//           not stored (their inputs were the padding or past it).
// Changed from 03_implicit_gemm's epilogue: the same bias + ReLU (EPILOGUE), applied after
//           the inverse transform, since only then are the values pixels.

override AY: u32 = 6u;
override AX: u32 = 6u;
override MY: u32 = 4u;         // output rows per tile (AY = MY + KH - 1)
override MX: u32 = 4u;         // output columns per tile
override EPILOGUE: u32 = 0u;   // 0 none, 1 + bias, 2 + bias then ReLU
override LAYOUT: u32 = 0u;
override TRANSPOSED: bool = false;

struct Params {
  n: u32, k: u32, oh: u32, ow: u32,
  th: u32, tw: u32, cols: u32, _pad3: u32,   // cols: LAYOUT 1 only
  y_off: u32, total: u32, kg: u32, cg: u32,   // kg, cg: TRANSPOSED only
  mats: array<vec4f, 32>,   // Aᵀ_y (MY x AY) at 0, Aᵀ_x (MX x AX) at MY*AY
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn mat(i: u32) -> f32 { return p.mats[i / 4u][i % 4u]; }

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
  let tiles = p.th * p.tw;
  let it = div(i, tiles);   // i / tiles
  let t = i - it * tiles;
  let n = div(it, p.k);
  let k = it - n * p.k;
  let plane = p.k * tiles;

  var mv: array<f32, 64>;   // M[a*8 + b]
  var kk = k;   // M's channel
  if (TRANSPOSED) {
    let per = p.kg * p.cg;
    let g = div(k, per);
    let kc = k - g * per;
    let kq = div(kc, p.cg);
    kk = g * per + (kc - kq * p.cg) * p.kg + kq;   // (g, c, k) for output channel (g, k, c)
  }
  var src = n * AY * AX * plane + kk * tiles + t;
  var step = plane;
  if (LAYOUT == 1u) {
    src = k * p.cols + n * tiles + t;
    step = p.k * p.cols;
  }
  for (var a = 0u; a < AY; a++) {  // @unroll
    for (var b = 0u; b < AX; b++) {  // @unroll
      mv[a * 8u + b] = m[src];
      src += step;
    }
  }
  // rows: e = Aᵀ_y M   (my x AX)
  var e: array<f32, 64>;
  for (var r = 0u; r < MY; r++) {  // @unroll
    for (var b = 0u; b < AX; b++) {  // @unroll
      var s = 0.0;
      for (var a = 0u; a < AY; a++) {  // @unroll
        s = fma(mat(r * AY + a), mv[a * 8u + b], s);
      }
      e[r * 8u + b] = s;
    }
  }
  var add = 0.0;
  if (EPILOGUE >= 1u) { add = bias[k]; }
  let ty = div(t, p.tw);
  let oy0 = ty * MY;
  let ox0 = (t - ty * p.tw) * MX;
  let yb = p.y_off + (n * p.k + k) * p.oh * p.ow;
  for (var r = 0u; r < MY; r++) {  // @unroll
    let oy = oy0 + r;
    for (var q = 0u; q < MX; q++) {  // @unroll
      let ox = ox0 + q;
      var s = add;
      for (var b = 0u; b < AX; b++) {  // @unroll
        s = fma(e[r * 8u + b], mat(MY * AY + q * AX + b), s);
      }
      if (EPILOGUE == 2u) { s = max(s, 0.0); }
      // pixels of an edge tile past the output are not stored
      if (oy < p.oh && ox < p.ow) { y[yb + oy * p.ow + ox] = s; }
    }
  }
}
