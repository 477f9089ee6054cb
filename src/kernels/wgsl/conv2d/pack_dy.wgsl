// conv2d/pack_dy.wgsl — dy re-laid out channel-last per group, for 03_implicit_gemm_wgrad.wgsl.
//
// Math:     a copy plus zero padding:  dyt[g, q, j] = dy[n, g*Kg + j, oy, ox]
//           with q = (n*OH + oy)*OW + ox over the Q = N*OH*OW pixels of the batch chunk and
//           j < Kg (columns j in [Kg, cols) are 0).
// Why:      the weight-gradient kernel reads the 4*COV output channels of one pixel at a time
//           as uniform vec4 broadcasts; in NCHW those are OH*OW apart.
// Layout:   dy NCHW from y_off (batch chunk); dyt [groups, Q, cols] contiguous.
// Threads:  one invocation per dyt element, 256 per workgroup, 2-D grid
//             i = gid.x + gid.y * (nwg.x * 256)  ->  (g, q, j), j innermost.
// Memory:   no workgroup memory.   Bounds: i >= groups*Q*cols returns.

struct Params {
  n: u32, k: u32, ohw: u32, groups: u32,
  cols: u32, y_off: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dyt: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let q_n = p.n * p.ohw;
  if (i >= p.groups * q_n * p.cols) { return; }
  let kg = p.k / p.groups;
  let j = i % p.cols;
  let q = (i / p.cols) % q_n;
  let g = i / (p.cols * q_n);
  var v = 0.0;
  if (j < kg) { v = dy[p.y_off + ((q / p.ohw) * p.k + g * kg + j) * p.ohw + q % p.ohw]; }
  dyt[i] = v;
}
