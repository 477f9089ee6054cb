// conv2d/02_im2col_bias_act.wgsl — the epilogue of 02_im2col as its own pass: y += bias[co], then ReLU.
//
// Math:     y[n, co, q] = y[n, co, q] + bias[co]   (EPILOGUE 1),  then max(., 0) (EPILOGUE 2).
//           (03_implicit_gemm does this in registers before its only store.)
// Layout:   y NCHW from y_off (batch chunk), `ohw` = OH*OW values per channel.
// Threads:  one invocation per y element, 256 per workgroup, 2-D grid
//             i = gid.x + gid.y * (nwg.x * 256).
// Memory:   no workgroup memory.   Bounds: i >= count returns.

override EPILOGUE: u32 = 1u;

struct Params {
  count: u32, k: u32, ohw: u32, y_off: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.count) { return; }
  var v = y[p.y_off + i] + bias[(i / p.ohw) % p.k];
  if (EPILOGUE == 2u) { v = max(v, 0.0); }
  y[p.y_off + i] = v;
}
