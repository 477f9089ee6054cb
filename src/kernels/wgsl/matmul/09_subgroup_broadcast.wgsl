// matmul/09_subgroup_broadcast.wgsl — C = A·B (+ C) for a CPU driver: 08's images, but each
// row of A is loaded once per subgroup and handed to its 8 invocations with subgroupBroadcast.
//
// Math:     C[m, n] = alpha · Σ_k A[m, k] · B[k, n]  (+ C[m, n] with ACCUMULATE; EPILOGUE
//           1 adds bias[n], 2 then takes max(·, 0)), batch z = workgroup_id.z.
// Layout:   as 08: A and B are storage textures holding a copy of each operand's elements
//           in memory order, 4 floats per texel, texel t at (t mod 2^shift, t >> shift). A
//           rows of K contiguous floats (k fastest); B either rows of N contiguous floats
//           (TB = false) or stored transposed, rows of K contiguous floats (TB = true, a
//           Linear weight W[n, k]). K, N and every offset and stride a multiple of 4.
//           C a storage buffer, rows contiguous.
// Threads:  needs subgroups of exactly 8 invocations (the host checks the adapter), lane =
//           subgroup_invocation_id, subgroup s = local_invocation_index / 8. Subgroup s owns
//           8·RB rows of C and lane l owns 2 vec4 columns of them (08: 4): a subgroup computes
//           an (8·RB) x 64 block.
// Work:     per 4 steps of k: lane l loads ONE texel of A — row row0 + 8h + l, columns
//           k..k+3 — for each h < RB, and the 8 texels of B it needs (4 k x 2 vec4). Row r's
//           four values of A are then subgroupBroadcast(a_h, r mod 8): on lavapipe an
//           extract and a splat, no memory access at all. So A costs RB texel loads per
//           lane where 08 spends 8·RB: 10 loads per 512 multiply-adds at RB = 2, where 08
//           takes 32 per 1024.
// Memory:   no workgroup memory, no barriers; 8·RB x 2 vec4 accumulators per invocation.
// Loops:    the short loops (setup, epilogue) are marked `// @unroll` and expanded by the host
//           before compiling (src/tensor/unroll.ts); K's loop is the only loop left.
// Bounds:   rows past M load row M-1 (an in-range duplicate; each lane still loads its own
//           row, so the broadcast sees every row of the block) and are not stored; vec4
//           columns past N/4 load the last one and are not stored. K must be a multiple of 4.
// Changed from 08: A's texels are loaded once per subgroup and broadcast, instead of once per
//           invocation; with A's loads all but free, the block goes back to 16 x 8 (half of
//           08's accumulators, fewer on the stack). subgroupBroadcast wants a constant lane, so
//           the 16 rows are written out one line each (lavapipe would not unroll a loop over
//           them either).

enable subgroups;

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

/** Row r of the block: four steps of k for its 2 vec4 columns (acc[2r], acc[2r+1]). */
fn madRow(acc: ptr<function, array<vec4f, 32>>, r: u32, av: vec4f, p0: B4, p1: B4) {
  (*acc)[2u * r] = mad4((*acc)[2u * r], av, p0.r0, p0.r1, p0.r2, p0.r3);
  (*acc)[2u * r + 1u] = mad4((*acc)[2u * r + 1u], av, p1.r0, p1.r1, p1.r2, p1.r3);
}

@compute @workgroup_size(8 * SG_M * SG_N)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  let sg = li / 8u;
  let row0 = (wid.y * SG_M + sg / SG_N) * 8u * RB;
  let n4 = p.n / 4u;
  let colv = ((wid.x * SG_N + sg % SG_N) * 8u + lane) * 2u;   // this lane's first vec4 column
  let c0 = min(colv, n4 - 1u);
  let c1 = min(colv + 1u, n4 - 1u);
  let bat = wid.z;
  // texel of A[row, 0] for this lane's rows, and of B's origin
  let aRow = (p.a_off + bat * p.a_sb) / 4u;
  let a0 = aRow + (min(row0 + lane, p.m - 1u) * p.a_sm) / 4u;
  let a1 = aRow + (min(row0 + 8u + lane, p.m - 1u) * p.a_sm) / 4u;
  let bBase = (p.b_off + bat * p.b_sb) / 4u;

  var acc: array<vec4f, 32>;   // acc[2r + v] = C[row0 + r, 4·(colv + v) .. +3]
  for (var q = 0u; q < p.k / 4u; q++) {
    let lo = texelA(a0 + q);   // A[row0 + lane, 4q .. 4q+3]
    var hi = vec4f(0.0);
    if (RB == 2u) { hi = texelA(a1 + q); }   // A[row0 + 8 + lane, 4q .. 4q+3]
    let p0 = loadB(bBase, c0, q);
    let p1 = loadB(bBase, c1, q);
    madRow(&acc, 0u, subgroupBroadcast(lo, 0u), p0, p1);
    madRow(&acc, 1u, subgroupBroadcast(lo, 1u), p0, p1);
    madRow(&acc, 2u, subgroupBroadcast(lo, 2u), p0, p1);
    madRow(&acc, 3u, subgroupBroadcast(lo, 3u), p0, p1);
    madRow(&acc, 4u, subgroupBroadcast(lo, 4u), p0, p1);
    madRow(&acc, 5u, subgroupBroadcast(lo, 5u), p0, p1);
    madRow(&acc, 6u, subgroupBroadcast(lo, 6u), p0, p1);
    madRow(&acc, 7u, subgroupBroadcast(lo, 7u), p0, p1);
    if (RB == 2u) {
      madRow(&acc, 8u, subgroupBroadcast(hi, 0u), p0, p1);
      madRow(&acc, 9u, subgroupBroadcast(hi, 1u), p0, p1);
      madRow(&acc, 10u, subgroupBroadcast(hi, 2u), p0, p1);
      madRow(&acc, 11u, subgroupBroadcast(hi, 3u), p0, p1);
      madRow(&acc, 12u, subgroupBroadcast(hi, 4u), p0, p1);
      madRow(&acc, 13u, subgroupBroadcast(hi, 5u), p0, p1);
      madRow(&acc, 14u, subgroupBroadcast(hi, 6u), p0, p1);
      madRow(&acc, 15u, subgroupBroadcast(hi, 7u), p0, p1);
    }
  }

  // the epilogue: alpha, + C, + bias, ReLU; one vec4 store per row and column
  let cBase = p.c_off + bat * p.c_sb;
  var bias0 = vec4f(0.0);
  var bias1 = vec4f(0.0);
  if (EPILOGUE >= 1u) {
    bias0 = vec4f(bias[4u * c0], bias[4u * c0 + 1u], bias[4u * c0 + 2u], bias[4u * c0 + 3u]);
    bias1 = vec4f(bias[4u * c1], bias[4u * c1 + 1u], bias[4u * c1 + 2u], bias[4u * c1 + 3u]);
  }
  for (var r = 0u; r < 8u * RB; r++) {  // @unroll
    let row = row0 + r;
    for (var v = 0u; v < 2u; v++) {  // @unroll
      let col = colv + v;
      if (row < p.m && col < n4) {
        let ci = (cBase + row * p.c_sm) / 4u + col;
        var val = p.alpha * acc[2u * r + v];
        if (ACCUMULATE) { val += c[ci]; }
        if (EPILOGUE >= 1u) { val += select(bias0, bias1, v == 1u); }
        if (EPILOGUE == 2u) { val = max(val, vec4f(0.0)); }
        c[ci] = val;
      }
    }
  }
}
