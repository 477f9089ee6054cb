// matmul/07_row_stream.wgsl — C = A·B (+ C) with B and C touched in wide contiguous spans
// of their rows: for a CPU driver, the products of a small batch's fc layers, dX = dY·W
// (8 rows) and dW = dYᵀ·X (K = 8).
//
// Math:     C[m, n] = alpha · Σ_k A[m, k] · B[k, n]  (+ C[m, n] with ACCUMULATE; EPILOGUE
//           1 adds bias[n], 2 then takes max(·, 0)), batch z = workgroup_id.z.
// Layout:   A any strides (it is read one scalar at a time); B NN only: rows of N contiguous
//           floats, row stride b_sk a multiple of 4; C rows contiguous, N and c_sm multiples
//           of 4. The host checks all of this before choosing 07.
// Threads:  workgroup (x, y) of WG invocations (a multiple of 8) owns rows RM·y .. RM·y+RM-1
//           and WG·CN vec4 columns of C. A CPU driver such as lavapipe runs 8 invocations
//           side by side in one SIMD register ("a batch") and runs a batch through the whole
//           shader before the next one starts, so what matters is the memory one batch
//           touches per row of B and C. Here batch q's invocation r owns vec4 columns
//               col(j) = x·WG·CN + q·8·CN + 8·j + r,   j < CN,
//           so for each j the batch touches 8 neighbouring vec4s (128 bytes) of a row and,
//           over j, CN·128 contiguous bytes of it — 512 bytes at CN = 4, where 03 touches 128.
// Work:     per k: RM scalar loads of A (the same address in every invocation of the
//           workgroup: one load, broadcast), CN vec4 loads of B, RM·CN vec4 FMAs; then RM·CN
//           vec4 stores. Registers: RM·CN vec4 accumulators (32 at RM = 8, CN = 4).
// Loops:    the loops over RM rows and CN columns are marked `// @unroll` and expanded by the
//           host before compiling (src/tensor/unroll.ts), for every compiler alike.
// Memory:   no workgroup memory, no barriers.
// Bounds:   columns past N and rows past M are clamped on load (in-range duplicates) and not
//           stored; any K.
// Changed from 03: columns spread over the batch in 8-wide stripes, so each batch streams
//           CN times more of every B and C row, and A is read as uniform scalars. Faster
//           than 03 for AlexNet's batch-8 fc gradients on lavapipe, yet still far from the
//           memory speed the optimizer reaches
//           (figures: BENCHMARKS.md, "Kernel design measurements"):
//           each batch jumps a whole row (16-36 KB) after its 512 bytes. On a GPU this layout
//           serves no purpose (a warp touches 128 contiguous bytes either way) and the
//           selector never picks it there.

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = 0u;
override WG: u32 = 8u;   // invocations per workgroup, a multiple of 8
override CN: u32 = 4u;   // vec4 columns per invocation, at most 8
override RM: u32 = 8u;   // rows per workgroup: 8, or 4 when M <= 4 (the host sets it)

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
  c_sm: u32, a_sb: u32, b_sb: u32, c_sb: u32,
  a_off: u32, b_off: u32, c_off: u32, alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<vec4f>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_index) lx: u32, @builtin(workgroup_id) wid: vec3u) {
  let bat = wid.z;
  let row0 = wid.y * RM;
  let first = wid.x * WG * CN + (lx / 8u) * 8u * CN + lx % 8u;   // col(0)
  let n4 = p.n / 4u;
  let a0 = p.a_off + bat * p.a_sb;
  let b0 = (p.b_off + bat * p.b_sb) / 4u;
  var acc: array<array<vec4f, 8>, 8>;   // acc[j][i] = C[i, 4·col(j) .. 4·col(j)+3]
  var col: array<u32, 8>;
  for (var j = 0u; j < CN; j++) {  // @unroll
    col[j] = min(first + 8u * j, n4 - 1u);
  }

  for (var k = 0u; k < p.k; k++) {
    var av: array<f32, 8>;
    // (the address computed in place, not kept in an array: a CPU driver then sees that it
    // is the same in every invocation and loads it once)
    for (var i = 0u; i < RM; i++) {  // @unroll
      av[i] = a[a0 + min(row0 + i, p.m - 1u) * p.a_sm + k * p.a_sk];
    }
    let brow = b0 + k * (p.b_sk / 4u);
    for (var j = 0u; j < CN; j++) {  // @unroll
      let bv = b[brow + col[j]];
      for (var i = 0u; i < RM; i++) {  // @unroll
        acc[j][i] = fma(vec4f(av[i]), bv, acc[j][i]);
      }
    }
  }

  // Both store loops run a constant number of times (CN, RM) and guard each store: unrolled
  // (by the host, `// @unroll`), every acc index is a constant and acc stays in registers.
  // With a `break` or `i < p.m` as the bound, the driver keeps acc in memory it can index,
  // and on lavapipe 07 ran at about half speed.
  for (var j = 0u; j < CN; j++) {  // @unroll
    let c4 = first + 8u * j;
    if (c4 < n4) {
      var bias4 = vec4f(0.0);
      if (EPILOGUE >= 1u) {
        bias4 = vec4f(bias[4u * c4], bias[4u * c4 + 1u], bias[4u * c4 + 2u], bias[4u * c4 + 3u]);
      }
      for (var i = 0u; i < RM; i++) {  // @unroll
        if (row0 + i < p.m) {
          let ci = (p.c_off + bat * p.c_sb + (row0 + i) * p.c_sm) / 4u + c4;
          var v = p.alpha * acc[j][i];
          if (ACCUMULATE) { v += c[ci]; }
          if (EPILOGUE >= 1u) { v += bias4; }
          if (EPILOGUE == 2u) { v = max(v, vec4f(0.0)); }
          c[ci] = v;
        }
      }
    }
  }
}
