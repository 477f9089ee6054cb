// matmul/01_naive.wgsl — C = A·B (+ C), one invocation per output element. THE ORACLE.
//
// Math:     C[b, m, n] = alpha * sum_k A[b, m, k] * B[b, k, n]   (+ C[b, m, n] if ACCUMULATE)
//           then the epilogue: + bias[n] (EPILOGUE >= 1), then max(., 0) (EPILOGUE == 2).
// Layout:   every operand is addressed through element strides, so transposed operands cost
//           nothing:  A[b,m,k] = a[a_off + b*a_sb + m*a_sm + k*a_sk]
//                     B[b,k,n] = b[b_off + b*b_sb + k*b_sk + n*b_sn]
//                     C[b,m,n] = c[c_off + b*c_sb + m*c_sm + n]      (rows contiguous)
//           A Linear layer's x·Wᵀ is "B = W with b_sk = 1, b_sn = in_features".
// Threads:  invocation (n, m, b) = global id (x, y, z); 8x8 invocations per workgroup.
//           Work per invocation: K multiply-adds, 2K loads, one store.
// Memory:   no workgroup memory; every operand value is re-read from global memory by each
//           of the M or N invocations that need it, which is why this version is slow.
// Bounds:   invocations outside [N, M) return before touching memory.
// Why keep it: it is the easiest kernel to check by eye, and every other version is tested
//           against the same float64 CPU reference that this one matches.

override ACCUMULATE: bool = false;
override EPILOGUE: u32 = 0u;   // 0 none, 1 + bias[n], 2 + bias[n] then ReLU

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  a_sm: u32, a_sk: u32, b_sk: u32, b_sn: u32,
  c_sm: u32, a_sb: u32, b_sb: u32, c_sb: u32,
  a_off: u32, b_off: u32, c_off: u32, alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  let bat = gid.z;
  if (col >= p.n || row >= p.m) { return; }
  let a_row = p.a_off + bat * p.a_sb + row * p.a_sm;
  let b_col = p.b_off + bat * p.b_sb + col * p.b_sn;
  var sum = 0.0;
  for (var kk = 0u; kk < p.k; kk++) {
    sum += a[a_row + kk * p.a_sk] * b[b_col + kk * p.b_sk];
  }
  let ci = p.c_off + bat * p.c_sb + row * p.c_sm + col;
  var v = p.alpha * sum;
  if (ACCUMULATE) { v += c[ci]; }
  if (EPILOGUE >= 1u) { v += bias[col]; }
  if (EPILOGUE == 2u) { v = max(v, 0.0); }
  c[ci] = v;
}
