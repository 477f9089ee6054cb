// conv2d/pack_weight.wgsl — re-lays a PyTorch weight out for the register-blocked kernels.
//
// Math:     a copy (plus zero padding), no arithmetic. Two layouts, chosen by MODE:
//           MODE 0 (forward, 03_implicit_gemm): wp[g, r, j] = w[g*Kg + j, r]
//             r = (ci*KH + ky)*KW + kx runs over the R = Cg*KH*KW reduction taps of a group,
//             j over the group's output channels, padded with zeros up to J = `cols`.
//           MODE 1 (data gradient, 03_implicit_gemm_dgrad): wp[g, r, j] = w[g*Kg + co, j, ky, kx]
//             r = (co*KH + ky)*KW + kx runs over R = Kg*KH*KW, j over the group's input
//             channels ci, padded up to J = `cols`.
//           Either way a group's packed block is [R, J], contiguous along j, so the conv
//           kernels read four consecutive channels of one tap as one vec4, and the zero
//           padding lets them read whole blocks without bounds checks.
// Threads:  one invocation per packed element, 256 per workgroup, 2-D grid
//             i = gid.x + gid.y * (nwg.x * 256)  ->  (g, r, j), j innermost.
// Memory:   no workgroup memory.   Bounds: i >= groups*R*J returns; j >= the real channel
//           count writes 0.

override MODE: u32 = 0u;

struct Params {
  k: u32, cg: u32, kh: u32, kw: u32,
  groups: u32, cols: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wp: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let kg = p.k / p.groups;
  let taps = p.kh * p.kw;
  var rows = p.cg * taps;
  if (MODE == 1u) { rows = kg * taps; }
  if (i >= p.groups * rows * p.cols) { return; }
  let j = i % p.cols;
  let r = (i / p.cols) % rows;
  let g = i / (p.cols * rows);
  var v = 0.0;
  if (MODE == 0u) {
    if (j < kg) { v = w[(g * kg + j) * p.cg * taps + r]; }
  } else {
    let co = r / taps;
    let t = r % taps;
    if (j < p.cg) { v = w[((g * kg + co) * p.cg + j) * taps + t]; }
  }
  wp[i] = v;
}
