// pool/max_backward_blocked.wgsl — dx of max pooling, as a gather (no atomics), one block of
//           SH x SW input elements per invocation:
//           dx[p, ih, iw] = sum of dy[p, oh, ow] over the windows (oh, ow) whose saved
//           argmax is (ih, iw).
//
// Math:     an argmax lies inside its window, so "whose argmax is this element" needs no
//           test of which windows contain it. Cut the padded input into blocks of SH x SW:
//           row t = ih + PH is in block row t / SH, and window oh covers t iff
//           oh*SH <= t < oh*SH + KH. For every row of block row k those windows lie among
//           oh = k - NY + 1 .. k (NY = ceil(KH / SH)); the same for columns. So an invocation
//           loads the NY x NX windows of its block once and hands each window's dy to the
//           one element of the block whose flat index equals its argmax, if any.
// Layout:   dy and arg [planes, OH, OW] (arg: ih * W + iw, from max_forward.wgsl);
//           dx [planes, H, W]; contiguous.
// Threads:  one invocation per (plane, block row, block column): BH = ceil((H + PH) / SH)
//           block rows and BW = ceil((W + PW) / SW) block columns per plane, the column
//           fastest; 256 per workgroup, 2-D grid.
// Work:     2 * NY * NX loads, SH * SW * NY * NX compares and SH * SW stores per invocation:
//           for 3x3 windows at stride 2, 8 loads for 4 elements.
// Memory:   SH * SW accumulators in a private array of 16 (the host takes max_backward.wgsl
//           when SH * SW > 16). No workgroup memory.
// Bounds:   i >= planes * BH * BW returns; windows outside [0, OH) x [0, OW) count as an
//           argmax of -1 (no element); block elements outside [0, H) x [0, W) (the padding,
//           and the last block's overhang) are not stored.
// Loops:    marked `// @unroll` (src/tensor/unroll.ts), so the accumulators' indices are constants.
// Chunks:   as in max_backward.wgsl: x_off / y_off lead from each binding's aligned start
//           to the chunk's first x-shaped / y-shaped element.
// Changed from max_backward.wgsl: one invocation per input element loaded the 2 * NY * NX
//           argmax and dy values of every window over it, the same ones its neighbours
//           loaded; a CPU driver runs each such load lane by lane. Here SH * SW elements
//           share them: 4x fewer loads for 3x3 windows at stride 2.

// The geometry as override constants, set by the host per pool shape (the same values as in
// `p`): every division and remainder below is by a constant.
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
override PH: u32;
override PW: u32;
override NY: u32;   // windows over one block row: ceil(KH / SH), set by the host too (the
override NX: u32;   // unrolled loops need its value before compiling); likewise ceil(KW / SW)
override BH: u32 = (H + PH + SH - 1u) / SH;   // block rows and columns per plane
override BW: u32 = (W + PW + SW - 1u) / SW;

struct Params {
  planes: u32, H: u32, W: u32, OH: u32,
  OW: u32, KH: u32, KW: u32, SH: u32,
  SW: u32, PH: u32, PW: u32, x_off: u32,
  y_off: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> arg: array<i32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.planes * BH * BW) { return; }
  let kx = i % BW;
  let ky = (i / BW) % BH;
  let plane = i / (BW * BH);
  // the block's first element: (ky*SH - PH, kx*SW - PW), negative in the padding
  let y0 = i32(ky * SH) - i32(PH);
  let x0 = i32(kx * SW) - i32(PW);
  var acc: array<f32, 16>;   // acc[r * SW + q]: element (y0 + r, x0 + q)
  for (var j = 0u; j < SH * SW; j++) {  // @unroll
    acc[j] = 0.0;
  }
  for (var a = 0u; a < NY; a++) {  // @unroll
    let oh = i32(ky) - i32(NY - 1u) + i32(a);
    for (var b = 0u; b < NX; b++) {  // @unroll
      let ow = i32(kx) - i32(NX - 1u) + i32(b);
      let live = oh >= 0 && oh < i32(OH) && ow >= 0 && ow < i32(OW);
      let o = p.y_off + (plane * OH + u32(clamp(oh, 0, i32(OH) - 1))) * OW + u32(clamp(ow, 0, i32(OW) - 1));
      let won = select(-1, arg[o], live);   // flat index of the window's maximum in the plane
      let g = dy[o];
      // the window's argmax as (row, column) relative to the block's first element
      let r = won / i32(W) - y0;
      let q = won % i32(W) - x0;
      for (var rr = 0u; rr < SH; rr++) {  // @unroll
        for (var qq = 0u; qq < SW; qq++) {  // @unroll
          acc[rr * SW + qq] += select(0.0, g, live && r == i32(rr) && q == i32(qq));
        }
      }
    }
  }
  for (var rr = 0u; rr < SH; rr++) {  // @unroll
    let ih = y0 + i32(rr);
    for (var qq = 0u; qq < SW; qq++) {  // @unroll
      let iw = x0 + i32(qq);
      if (ih >= 0 && ih < i32(H) && iw >= 0 && iw < i32(W)) {
        dx[p.x_off + (plane * H + u32(ih)) * W + u32(iw)] = acc[rr * SW + qq];
      }
    }
  }
}
