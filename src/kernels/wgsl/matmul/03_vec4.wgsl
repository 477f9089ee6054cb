// matmul/03_vec4.wgsl — C = A·B (+ C); 4x4 block per invocation, every load a vec4.
//
// Math, ACCUMULATE and EPILOGUE: as in 01_naive.wgsl. Strides are in ELEMENTS but every
// stride and offset the host passes here is a multiple of 4 along the vectorised dimension,
// and the buffers are viewed as array<vec4f>, so a vec4 index is (element offset) / 4.
// Layouts (the host picks TA/TB from which dimension is contiguous):
//   TA = false: A[m, k] rows are contiguous in k  -> load A[m, k..k+3] as one vec4
//   TA = true:  A is stored as [K, M] (Aᵀ), contiguous in m -> load A[k, m..m+3]
//   TB = false: B[k, n] contiguous in n           -> load B[k, n..n+3]
//   TB = true:  B is stored as [N, K] (Bᵀ, a Linear weight), contiguous in k -> B[n, k..k+3]
//   (TA and TB both true is not handled here; the selector uses 02 for it.)
//   C is [M, N] with contiguous rows; N, c_sm and c_off are multiples of 4.
// Threads:  as in 02: invocation (x, y, z) owns C[4y..4y+3, 4x..4x+3] of batch z; 64 per WG
//           (RM = 8: C[8y..8y+7, 4x..4x+3], NN only).
// Work per step, for the three cases, 16 accumulators in 4 vec4 registers:
//   NN: 4 vec4 of A (4 rows x 4 k) and 4 vec4 of B (4 k x 4 cols) -> 64 FMAs for 8 loads
//   NT: 4 vec4 of A and 4 vec4 of Bᵀ (4 cols x 4 k) -> 16 dot products = 64 FMAs for 8 loads
//   TN: per k, 1 vec4 of Aᵀ (4 rows) and 1 vec4 of B (4 cols) -> 16 FMAs for 2 loads
// Memory:   no workgroup memory, no barriers (see 02 for why on a CPU driver).
// Bounds:   rows/columns past the edge are clamped on load (an in-range duplicate) and not
//           stored; K must be a multiple of 4 for NN and NT (the selector checks).
// Changed from 02: vec4 loads and stores — 4x fewer load instructions, and the CPU driver
//           turns each into one SIMD load.

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = 0u;
// workgroup shape: 64 invocations, flatter for few rows (set by the host per problem)
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override TA: bool = false;
override TB: bool = false;
// rows per invocation: 4, or 8 for an NN product of at most 8 rows (a batch-8 fc layer's
// data gradient dY·W): one invocation then covers every row, so B — the big weight — is
// read once instead of twice (set by the host; the NT and TN paths always use 4)
override RM: u32 = 4u;

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
  c_sm: u32, a_sb: u32, b_sb: u32, c_sb: u32,
  a_off: u32, b_off: u32, c_off: u32, alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<vec4f>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * RM;
  let col0 = gid.x * 4u;
  let bat = gid.z;
  let a0 = p.a_off + bat * p.a_sb;
  let b0 = p.b_off + bat * p.b_sb;
  var acc: array<vec4f, 8>;   // acc[i] = C[row0 + i, col0..col0+3], i < RM

  if (!TA && !TB) {
    // NN: A rows (k-contiguous) times B rows (n-contiguous)
    var ar: array<u32, 8>;
    for (var i = 0u; i < RM; i++) { ar[i] = a0 + min(row0 + i, p.m - 1u) * p.a_sm; }
    let bc = b0 + min(col0, p.n - 4u);
    for (var kk = 0u; kk < p.k; kk += 4u) {
      let b_0 = b[(bc + (kk + 0u) * p.b_sk) / 4u];
      let b_1 = b[(bc + (kk + 1u) * p.b_sk) / 4u];
      let b_2 = b[(bc + (kk + 2u) * p.b_sk) / 4u];
      let b_3 = b[(bc + (kk + 3u) * p.b_sk) / 4u];
      for (var i = 0u; i < RM; i++) {
        let av = a[(ar[i] + kk) / 4u];
        acc[i] = fma(vec4f(av.x), b_0, acc[i]);
        acc[i] = fma(vec4f(av.y), b_1, acc[i]);
        acc[i] = fma(vec4f(av.z), b_2, acc[i]);
        acc[i] = fma(vec4f(av.w), b_3, acc[i]);
      }
    }
  } else if (!TA && TB) {
    // NT: A rows (k-contiguous) dot Bᵀ rows (k-contiguous)
    var ar: array<u32, 4>;
    var br: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) { ar[i] = a0 + min(row0 + i, p.m - 1u) * p.a_sm; }
    for (var j = 0u; j < 4u; j++) { br[j] = b0 + min(col0 + j, p.n - 1u) * p.b_sn; }
    for (var kk = 0u; kk < p.k; kk += 4u) {
      let w0 = b[(br[0] + kk) / 4u];
      let w1 = b[(br[1] + kk) / 4u];
      let w2 = b[(br[2] + kk) / 4u];
      let w3 = b[(br[3] + kk) / 4u];
      for (var i = 0u; i < 4u; i++) {
        let av = a[(ar[i] + kk) / 4u];
        acc[i] += vec4f(dot(av, w0), dot(av, w1), dot(av, w2), dot(av, w3));
      }
    }
  } else {
    // TN: Aᵀ rows (m-contiguous) outer-product B rows (n-contiguous), one k at a time
    let ac = a0 + min(row0, p.m - 4u);
    let bc = b0 + min(col0, p.n - 4u);
    for (var kk = 0u; kk < p.k; kk++) {
      let av = a[(ac + kk * p.a_sk) / 4u];
      let bv = b[(bc + kk * p.b_sk) / 4u];
      acc[0] = fma(vec4f(av.x), bv, acc[0]);
      acc[1] = fma(vec4f(av.y), bv, acc[1]);
      acc[2] = fma(vec4f(av.z), bv, acc[2]);
      acc[3] = fma(vec4f(av.w), bv, acc[3]);
    }
  }

  if (col0 >= p.n) { return; }
  var bias4 = vec4f(0.0);
  if (EPILOGUE >= 1u) {
    bias4 = vec4f(bias[col0], bias[col0 + 1u], bias[col0 + 2u], bias[col0 + 3u]);
  }
  for (var i = 0u; i < RM; i++) {
    let row = row0 + i;
    if (row >= p.m) { break; }
    let ci = (p.c_off + bat * p.c_sb + row * p.c_sm + col0) / 4u;
    var v = p.alpha * acc[i];
    if (ACCUMULATE) { v += c[ci]; }
    if (EPILOGUE >= 1u) { v += bias4; }
    if (EPILOGUE == 2u) { v = max(v, vec4f(0.0)); }
    c[ci] = v;
  }
}
