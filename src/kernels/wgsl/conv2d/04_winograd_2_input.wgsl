// conv2d/04_winograd_2_input.wgsl — Winograd step 2 of 3 (1, 2, the GEMM, 3): cut the input
// into overlapping tiles and transform each one, V = Bᵀ_y d B_x (or, for the weight gradient,
// also dy's tiles: D = G_y dy G_xᵀ — the same kernel with other matrices and tile sizes).
//
// Math:     Winograd's minimal filtering F(my x mx, ry x rx) (src/tensor/ops/conv2d/winograd_matrices.ts):
//           an output tile of my x mx pixels needs an input tile d of AY x AX pixels
//           (AY = my + ry - 1, AX = mx + rx - 1), and
//             Y = Aᵀ_y [ (G_y g G_xᵀ) ⊙ (Bᵀ_y d B_x) ] A_x
//           so the AY*AX products (⊙) replace my*mx*ry*rx multiply-adds per channel pair.
//           This kernel computes the right factor for every channel and tile:
//             V[n, xi, c, ty, tx] = sum_{a, b} BT_y[xi_y, a] * d[a, b] * BT_x[xi_x, b]
//             d[a, b] = x[n, c, ty*my - ph + a, tx*mx - pw + b]   (0 in the padding)
//           with xi = xi_y*AX + xi_x. Stride 1 and dilation 1 only (the tiles overlap by r-1).
//           In general the tile is IY x IX values taken every (my, mx) pixels and the two
//           matrices are AY x IY and AX x IX: IY = AY for the input (Bᵀ), while the weight
//           gradient also transforms dy in non-overlapping my x mx tiles (IY = my, no padding)
//           with G of F(r, m) — dw = Aᵀ [ Σ_tiles (G dy Gᵀ) ⊙ (Bᵀ x B) ] A (winograd_matrices.ts).
// Layout:   x NCHW [N, C, H, W] (x_off: a batch chunk's start). LAYOUT 0: V [nb, AY*AX*C,
//           TH, TW], i.e. channel xi*C + c — so the GEMM step reads V as the input of a 1x1
//           convolution with AY*AX*groups groups. LAYOUT 1 (dy's tiles for the weight
//           gradient): channel-last per group, V[xi*groups + g, n*TH*TW + t, j] with
//           c = g*Cg + j and rows of `cols` >= Cg values (zeros past Cg) — the layout
//           pack_dy.wgsl makes for 03_implicit_gemm_wgrad, written here directly instead.
//           LAYOUT 2 (06_winograd_gemm: point-major, the images side by side): V[xi, c, col]
//           with col = n*TH*TW + t and rows of `cols` >= nb*TH*TW values (a multiple of 4;
//           zeros past the last tile), so each transform point's V is one [C, cols] matrix
//           for a batched GEMM.
//           Bᵀ_y then Bᵀ_x in `mats` (row-major, 4 per vec4).
// S > 1:    (06_winograd_gemm_s2d) x is read through space-to-depth (shape/space_to_depth.wgsl)
//           without that pass: the tiles are cut from x' = spaceToDepth(x, S, padding p),
//           whose channel c = (ci*S + sy)*S + sx holds pixel (sy, sx) of every S x S block
//           of x's channel ci: x'[n, c, u, v] = x[n, ci, u*S + sy - ph, v*S + sx - pw], 0
//           outside x and past x's SH x SW rows and columns. C, the tiles and the padding
//           of the Math line are then x''s (the padding is 0: ph, pw are x's own).
// Threads:  one invocation per (n, c, ty, tx), tx fastest (LAYOUT 1: per (n, ty, tx, g,
//           j < cols), j fastest; LAYOUT 2: per (c, col < cols), col fastest); 256 per
//           workgroup on a 2-D grid.
// Work:     IY*IX loads, then the two small matrix products: AY*IY*IX + AY*AX*IX
//           multiply-adds (432 for 6x6 tiles), against AY*AX*K multiply-adds per (c, tile)
//           in the GEMM step — a few percent of it for AlexNet's layers. Zeros in Bᵀ are multiplied
//           like any entry: generic matrices keep one kernel for every tile size.
// Loops:    the loops over a tile are marked `// @unroll`: the host expands them for the
//           pipeline's tile sizes before compiling (src/tensor/unroll.ts), so every index into
//           the tile's private arrays is a constant on every compiler (Firefox's adds a guard to
//           each loop, and Mesa then unrolls none).
// Memory:   no workgroup memory; d and the half-transformed tile live in private arrays.
// Bounds:   invocations past `total` return; taps outside the image read 0 (the address
//           is clamped first), and so do LAYOUT 1's padding columns j >= Cg; tiles hanging
//           over the bottom/right edge are transformed in full (step 3 drops the outputs
//           past OH, OW).
// Changed from 03_implicit_gemm: 03 multiplies every tap of every pixel; here the input is
//           re-expressed so that the GEMM step (03 itself, as a 1x1 conv) does AY*AX/(my*mx)
//           multiplies per output and channel pair instead of ry*rx: 2.25 instead of 9 for
//           a 3x3 filter with 4x4 tiles, 5.44 instead of 25 for 5x5 with 3x3 tiles.

override AY: u32 = 6u;   // tile rows    (my + ry - 1), at most 8
override AX: u32 = 6u;   // tile columns (mx + rx - 1), at most 8
override IY: u32 = 6u;   // rows read per tile (AY, or my for dy's tiles)
override IX: u32 = 6u;   // columns read per tile
override LAYOUT: u32 = 0u;
override S: u32 = 1u;    // space-to-depth block: 1 reads x as it is

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  th: u32, tw: u32, my: u32, mx: u32,
  ph: i32, pw: i32, x_off: u32, total: u32,
  groups: u32, cols: u32,   // LAYOUT 1 and 2 only
  sh: u32, sw: u32,         // S > 1 only: x''s rows and columns (c, h, w, ph, pw: x's)
  mats: array<vec4f, 32>,   // Bᵀ_y (AY x IY) at 0, Bᵀ_x (AX x IX) at AY*IY
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;

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
  var chans = p.c;                 // channels walked by the invocations
  if (LAYOUT == 1u) { chans = p.groups * p.cols; }
  // LAYOUT 0: tx fastest (neighbouring invocations store neighbouring values);
  // LAYOUT 1: the channel fastest, for the same reason (several times faster on lavapipe
  // than tx fastest: BENCHMARKS.md, "Kernel design measurements")
  let it = div(i, tiles);          // i / tiles
  var t = i - it * tiles;
  var n = div(it, chans);
  var cw = it - n * chans;
  if (LAYOUT == 1u) {
    let ic = div(i, chans);
    cw = i - ic * chans;
    n = div(ic, tiles);
    t = ic - n * tiles;
  }
  var live = true;
  if (LAYOUT == 2u) {
    cw = div(i, p.cols);
    let col = i - cw * p.cols;
    live = col < p.n * tiles;
    let nc = div(col, tiles);
    n = min(nc, p.n - 1u);
    t = col - nc * tiles;
  }
  var c = cw;
  let cg = p.c / p.groups;
  if (LAYOUT == 1u) {
    let j = cw - div(cw, p.cols) * p.cols;
    live = j < cg;
    c = div(cw, p.cols) * cg + min(j, cg - 1u);
  }
  let ty = div(t, p.tw);
  let y0 = i32(ty * p.my);                // the tile's first row and column (of x' when S > 1)
  let x0 = i32((t - ty * p.tw) * p.mx);
  // S > 1: x' channel c is pixel (sy, sx) of the S x S blocks of x channel ci (S is a
  // constant, so these divisions are shifts or multiplies); S = 1: ci = c, sy = sx = 0
  let ci = c / (S * S);
  let sy = (c / S) % S;
  let sx = c % S;
  let base = p.x_off + (n * (p.c / (S * S)) + ci) * p.h * p.w;

  var d: array<f32, 64>;   // the input tile, d[a*8 + b]
  for (var a = 0u; a < IY; a++) {  // @unroll
    let vy = y0 + i32(a);                             // row of x (of x' when S > 1)
    let iy = vy * i32(S) + i32(sy) - p.ph;            // row of x
    for (var b = 0u; b < IX; b++) {  // @unroll
      let vx = x0 + i32(b);
      let ix = vx * i32(S) + i32(sx) - p.pw;
      var ok = live && iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
      if (S > 1u) { ok = ok && vy < i32(p.sh) && vx < i32(p.sw); }   // x' ends at SH x SW
      d[a * 8u + b] = select(0.0, x[select(0u, base + u32(iy) * p.w + u32(ix), ok)], ok);
    }
  }
  // rows: e = Bᵀ_y d
  var e: array<f32, 64>;
  for (var a2 = 0u; a2 < AY; a2++) {  // @unroll
    for (var b = 0u; b < IX; b++) {  // @unroll
      var s = 0.0;
      for (var a = 0u; a < IY; a++) {  // @unroll
        s = fma(mat(a2 * IY + a), d[a * 8u + b], s);
      }
      e[a2 * 8u + b] = s;
    }
  }
  // columns: V = e B_x, written to channel xi*C + c of image n (LAYOUT 1: row n*TH*TW + t
  // of group xi*groups + g, column j; LAYOUT 2: row xi*C + c, column n*TH*TW + t)
  var plane = p.c * tiles;
  var out = n * AY * AX * plane + c * tiles + t;
  if (LAYOUT == 1u) {
    plane = p.groups * p.n * tiles * p.cols;
    let g = div(cw, p.cols);
    out = (g * p.n * tiles + n * tiles + t) * p.cols + cw - g * p.cols;
  }
  if (LAYOUT == 2u) {
    plane = p.c * p.cols;
    out = i;
  }
  for (var a2 = 0u; a2 < AY; a2++) {  // @unroll
    for (var b2 = 0u; b2 < AX; b2++) {  // @unroll
      var s = 0.0;
      for (var b = 0u; b < IX; b++) {  // @unroll
        s = fma(e[a2 * 8u + b], mat(AY * IY + b2 * IX + b), s);
      }
      v[out] = s;
      out += plane;
    }
  }
}
