// conv2d/04_winograd_1_weight.wgsl — Winograd step 1 of 3 (then 2, the GEMM, 3): transform
// every filter, U = G_y g G_xᵀ, straight into the packed layout that 03_implicit_gemm reads as
// a 1x1 convolution in the GEMM step.
//
// Math:     U[xi, g, ci, j] = sum_{ky, kx} G_y[xi_y, ky] * f[ky, kx] * G_x[xi_x, kx],
//           xi = xi_y*AX + xi_x, for the filter f that maps input channel ci of group g to
//           its output channel j:
//             MODE 0 (forward):        f[ky, kx] = w[g*Kg + j, ci, ky, kx]
//             MODE 1 (data gradient): f[ky, kx] = w[g*Cg + ci, j, KH-1-ky, KW-1-kx]
//           (the data gradient of a stride-1 conv is a conv of dy with the filters turned
//           by 180 degrees and input/output channels swapped; here "ci" runs over the
//           original outputs and j over the original inputs).
// Layout:   w is PyTorch's [K, C/groups, KH, KW]. The result is 03's packed weight for a
//           1x1 conv with AY*AX*groups groups: wp[(xi*groups + g)*CI + ci, j], rows of
//           `cols` channels (CI = the convolution's input channels per group, J = `cols`
//           = its output channels per group rounded up to 03's channel block, zeros past
//           them). LAYOUT 1 (06_winograd_gemm): U[xi, g, j, ci], rows of CI values (cols =
//           J exactly): each transform point's filters are one row-major [J, CI] matrix per
//           group, the A operand of a batched GEMM. G_y (AY x KH) then G_x (AX x KW) in `mats`.
// Threads:  one invocation per (g, ci, j < cols), j fastest (LAYOUT 1: per (g, j, ci), ci
//           fastest); 256 per workgroup, 2-D grid.
// Work:     KH*KW loads, AY*KH*KW + AY*AX*KW multiply-adds, AY*AX stores. Runs once per
//           forward (or data gradient): the filters are small next to the activations.
// Loops:    the loops over a tile are marked `// @unroll`: the host expands them for the
//           pipeline's tile sizes before compiling (src/tensor/unroll.ts), so every index into
//           the tile's private arrays is a constant on every compiler (Firefox's adds a guard to
//           each loop, and Mesa then unrolls none).
// Memory:   no workgroup memory.   Bounds: i >= groups*CI*cols returns; j >= the real
//           channel count stores zeros.
// Changed from pack_weight.wgsl (MODE 0/1 there): the same re-layout, plus the transform.

override AY: u32 = 6u;
override AX: u32 = 6u;
override KH: u32 = 3u;   // filter rows, at most 8
override KW: u32 = 3u;   // filter columns, at most 8
override MODE: u32 = 0u;
override LAYOUT: u32 = 0u;

struct Params {
  kg: u32, ci: u32, groups: u32, cols: u32,   // kg: output channels per group (j < kg)
  total: u32, _pad0: u32, _pad1: u32, _pad2: u32,
  mats: array<vec4f, 32>,   // G_y (AY x KH) at 0, G_x (AX x KW) at AY*KH
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wp: array<f32>;

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
  let ij = div(i, p.cols);   // LAYOUT 0: (g, ci) and j
  var j = i - ij * p.cols;
  var g = div(ij, p.ci);
  var ci = ij - g * p.ci;
  if (LAYOUT == 1u) {
    let ic = div(i, p.ci);   // (g, j) and ci
    ci = i - ic * p.ci;
    g = div(ic, p.cols);
    j = ic - g * p.cols;
  }
  let live = j < p.kg;

  var f: array<f32, 64>;   // f[ky*8 + kx]
  if (live) {
    for (var ky = 0u; ky < KH; ky++) {  // @unroll
      for (var kx = 0u; kx < KW; kx++) {  // @unroll
        var src = ((g * p.kg + j) * p.ci + ci) * KH * KW + ky * KW + kx;                  // MODE 0
        if (MODE == 1u) { src = ((g * p.ci + ci) * p.kg + j) * KH * KW + (KH - 1u - ky) * KW + (KW - 1u - kx); }
        f[ky * 8u + kx] = w[src];
      }
    }
  }
  // rows: e = G_y f   (AY x KW)
  var e: array<f32, 64>;
  for (var a = 0u; a < AY; a++) {  // @unroll
    for (var kx = 0u; kx < KW; kx++) {  // @unroll
      var s = 0.0;
      for (var ky = 0u; ky < KH; ky++) {  // @unroll
        s = fma(mat(a * KH + ky), f[ky * 8u + kx], s);
      }
      e[a * 8u + kx] = s;
    }
  }
  // columns: U = e G_xᵀ, one packed row per xi
  let stride = p.groups * p.ci * p.cols;   // from one xi's block to the next
  var out = (g * p.ci + ci) * p.cols + j;
  if (LAYOUT == 1u) { out = (g * p.cols + j) * p.ci + ci; }
  for (var a = 0u; a < AY; a++) {  // @unroll
    for (var b = 0u; b < AX; b++) {  // @unroll
      var s = 0.0;
      for (var kx = 0u; kx < KW; kx++) {  // @unroll
        s = fma(e[a * 8u + kx], mat(AY * KH + b * KW + kx), s);
      }
      wp[out] = select(0.0, s, live);
      out += stride;
    }
  }
}
