// matmul/08_image_operands.wgsl — C = A·B (+ C) for a CPU driver: both operands read from
// storage textures ("images") instead of storage buffers, and a register block large enough
// to use the cheaper loads.
//
// Math:     C[m, n] = alpha · Σ_k A[m, k] · B[k, n]  (+ C[m, n] with ACCUMULATE; EPILOGUE
//           1 adds bias[n], 2 then takes max(·, 0)), batch z = workgroup_id.z.
// Layout:   A and B are rgba32float storage textures that hold a copy of each operand's
//           elements in memory order, 4 floats per texel: texel t (elements 4t .. 4t+3) sits
//           at (t mod 2^shift, t >> shift), so every stride keeps its meaning (in texels:
//           elements / 4). The host copies each operand's span of its buffer into a pooled
//           texture just before the dispatch (copyBufferToTexture). A: rows of K contiguous
//           floats (k fastest). B: rows of N contiguous floats (TB = false), or stored
//           transposed, rows of K contiguous floats (TB = true: a Linear weight W[n, k]).
//           K, N and every offset and stride a multiple of 4. C: a storage buffer, rows
//           contiguous.
// Why:      on lavapipe a storage-buffer load whose address is not a compile-time constant
//           becomes, per component, a loop over the 8 SIMD lanes with a branch, a bounds
//           check and a scalar load (~300 instructions for one vec4 in 8 lanes), while an
//           image load is one call to a small branch-free routine that does eight 16-byte
//           loads and a transpose (~50 instructions). Loads were most of 03's time; now the
//           multiply-adds are, so the block grows to 16 rows x 16 columns.
// Threads:  workgroups of 8·SG_M·SG_N invocations, in groups of 8 along N: group s of the
//           workgroup owns rows row0 .. row0 + 8·RB - 1 and invocation l of it owns the four
//           vec4 columns 4·(8·g + l) .. 4·(8·g + l) + 3, g the group's column index — so 8
//           neighbouring invocations (one SIMD batch) read 512 contiguous bytes of a B row.
// Work:     per 4 steps of k: 8·RB texels of A (row r, columns k..k+3: the same texel in every
//           invocation of the group) and 16 of B (4 k x 4 vec4), then 8·RB·4 vec4
//           multiply-adds of 4 k each (256 FMAs per k at RB = 2): 32 loads for them, where a
//           16 x 8 block would take 24 loads for half the work.
// Memory:   no workgroup memory, no barriers; 8·RB x 4 vec4 accumulators per invocation (the
//           driver keeps what does not fit in registers on the stack, in L1).
// Loops:    the short loops (setup, epilogue) are marked `// @unroll` and expanded by the host
//           before compiling (src/tensor/unroll.ts); K's loop is the only loop left.
// Bounds:   rows past M load row M-1 (an in-range duplicate) and are not stored; vec4 columns
//           past N/4 load the last one and are not stored. K must be a multiple of 4.
// Changed from 03_vec4: operands from images, not buffers (the host copies them), 16 x 16
//           outputs per invocation instead of 4 x 4, groups of 8 invocations along N. The rows
//           are written out one line each: lavapipe does not unroll a loop of this size, and
//           the accumulators would then live in memory.

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = 0u;
override TB: bool = false;   // B stored transposed: [N, K]
override RB: u32 = 2u;       // blocks of 8 rows per subgroup: 1 or 2
override SG_M: u32 = 1u;     // subgroups per workgroup along M
override SG_N: u32 = 4u;     // subgroups per workgroup along N

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
  c_sm: u32, a_sb: u32, b_sb: u32, c_sb: u32,
  a_off: u32, b_off: u32, c_off: u32, alpha: f32,
  a_shift: u32, b_shift: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var a: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var b: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<vec4f>;

/** Texel t of an operand image (its elements 4t .. 4t+3). */
fn texelA(t: u32) -> vec4f { return textureLoad(a, vec2u(t & ((1u << p.a_shift) - 1u), t >> p.a_shift)); }
fn texelB(t: u32) -> vec4f { return textureLoad(b, vec2u(t & ((1u << p.b_shift) - 1u), t >> p.b_shift)); }

/** acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3: four steps of k for one row and 4 columns. */
fn mad4(acc: vec4f, av: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return acc + av.x * b0 + av.y * b1 + av.z * b2 + av.w * b3;
}

/** B[k .. k+3, 4c .. 4c+3] as four rows (one per k), from texel coordinates of either layout. */
struct B4 { r0: vec4f, r1: vec4f, r2: vec4f, r3: vec4f }

fn loadB(bBase: u32, c4: u32, q: u32) -> B4 {
  if (TB) {
    // four rows n = 4c .. 4c+3 of Bᵀ, each holding B[k..k+3, n]: transpose them
    let t = bBase + c4 * p.b_sn + q;
    let n0 = texelB(t);
    let n1 = texelB(t + p.b_sn / 4u);
    let n2 = texelB(t + 2u * p.b_sn / 4u);
    let n3 = texelB(t + 3u * p.b_sn / 4u);
    return B4(vec4f(n0.x, n1.x, n2.x, n3.x), vec4f(n0.y, n1.y, n2.y, n3.y),
              vec4f(n0.z, n1.z, n2.z, n3.z), vec4f(n0.w, n1.w, n2.w, n3.w));
  }
  let t = bBase + q * p.b_sk + c4;
  let step = p.b_sk / 4u;
  return B4(texelB(t), texelB(t + step), texelB(t + 2u * step), texelB(t + 3u * step));
}

/** Row r of the block: four steps of k for its 4 vec4 columns (acc[4r .. 4r+3]). */
fn madRow(acc: ptr<function, array<vec4f, 64>>, r: u32, av: vec4f, p0: B4, p1: B4, p2: B4, p3: B4) {
  (*acc)[4u * r] = mad4((*acc)[4u * r], av, p0.r0, p0.r1, p0.r2, p0.r3);
  (*acc)[4u * r + 1u] = mad4((*acc)[4u * r + 1u], av, p1.r0, p1.r1, p1.r2, p1.r3);
  (*acc)[4u * r + 2u] = mad4((*acc)[4u * r + 2u], av, p2.r0, p2.r1, p2.r2, p2.r3);
  (*acc)[4u * r + 3u] = mad4((*acc)[4u * r + 3u], av, p3.r0, p3.r1, p3.r2, p3.r3);
}

@compute @workgroup_size(8 * SG_M * SG_N)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let lane = li % 8u;
  let sg = li / 8u;
  let row0 = (wid.y * SG_M + sg / SG_N) * 8u * RB;
  let n4 = p.n / 4u;
  let colv = ((wid.x * SG_N + sg % SG_N) * 8u + lane) * 4u;   // this lane's first vec4 column
  var cv: array<u32, 4>;   // its 4 vec4 columns, the ones past N clamped to the last
  for (var v = 0u; v < 4u; v++) {  // @unroll
    cv[v] = min(colv + v, n4 - 1u);
  }
  let bat = wid.z;
  // texel of A[row, 0] for the block's rows, and of B's origin
  let aRow = (p.a_off + bat * p.a_sb) / 4u;
  var ab: array<u32, 16>;   // texel of A[row0 + r, 0]
  for (var r = 0u; r < 16u; r++) {  // @unroll
    ab[r] = aRow + (min(row0 + r, p.m - 1u) * p.a_sm) / 4u;
  }
  let bBase = (p.b_off + bat * p.b_sb) / 4u;

  var acc: array<vec4f, 64>;   // acc[4r + v] = C[row0 + r, 4·(colv + v) .. +3]
  for (var q = 0u; q < p.k / 4u; q++) {
    let p0 = loadB(bBase, cv[0], q);
    let p1 = loadB(bBase, cv[1], q);
    let p2 = loadB(bBase, cv[2], q);
    let p3 = loadB(bBase, cv[3], q);
    madRow(&acc, 0u, texelA(ab[0] + q), p0, p1, p2, p3);
    madRow(&acc, 1u, texelA(ab[1] + q), p0, p1, p2, p3);
    madRow(&acc, 2u, texelA(ab[2] + q), p0, p1, p2, p3);
    madRow(&acc, 3u, texelA(ab[3] + q), p0, p1, p2, p3);
    madRow(&acc, 4u, texelA(ab[4] + q), p0, p1, p2, p3);
    madRow(&acc, 5u, texelA(ab[5] + q), p0, p1, p2, p3);
    madRow(&acc, 6u, texelA(ab[6] + q), p0, p1, p2, p3);
    madRow(&acc, 7u, texelA(ab[7] + q), p0, p1, p2, p3);
    if (RB == 2u) {
      madRow(&acc, 8u, texelA(ab[8] + q), p0, p1, p2, p3);
      madRow(&acc, 9u, texelA(ab[9] + q), p0, p1, p2, p3);
      madRow(&acc, 10u, texelA(ab[10] + q), p0, p1, p2, p3);
      madRow(&acc, 11u, texelA(ab[11] + q), p0, p1, p2, p3);
      madRow(&acc, 12u, texelA(ab[12] + q), p0, p1, p2, p3);
      madRow(&acc, 13u, texelA(ab[13] + q), p0, p1, p2, p3);
      madRow(&acc, 14u, texelA(ab[14] + q), p0, p1, p2, p3);
      madRow(&acc, 15u, texelA(ab[15] + q), p0, p1, p2, p3);
    }
  }

  // the epilogue: alpha, + C, + bias, ReLU; one vec4 store per row and column
  let cBase = p.c_off + bat * p.c_sb;
  var bv: array<vec4f, 4>;
  if (EPILOGUE >= 1u) {
    for (var v = 0u; v < 4u; v++) {  // @unroll
      bv[v] = vec4f(bias[4u * cv[v]], bias[4u * cv[v] + 1u], bias[4u * cv[v] + 2u], bias[4u * cv[v] + 3u]);
    }
  }
  for (var r = 0u; r < 8u * RB; r++) {  // @unroll
    let row = row0 + r;
    for (var v = 0u; v < 4u; v++) {  // @unroll
      let col = colv + v;
      if (row < p.m && col < n4) {
        let ci = (cBase + row * p.c_sm) / 4u + col;
        var val = p.alpha * acc[4u * r + v];
        if (ACCUMULATE) { val += c[ci]; }
        if (EPILOGUE >= 1u) { val += bv[v]; }
        if (EPILOGUE == 2u) { val = max(val, vec4f(0.0)); }
        c[ci] = val;
      }
    }
  }
}
