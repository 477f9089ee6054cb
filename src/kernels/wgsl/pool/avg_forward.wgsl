// pool/avg_forward.wgsl — average pooling, fixed windows (PyTorch avg_pool2d) or adaptive
//                         bins (adaptive_avg_pool2d): y[p, oh, ow] = sum(window) / divisor.
//
// Math:     ADAPTIVE = false: rows h0 = oh*SH - PH .. h1 = min(h0 + KH, H + PH) (the same for
//             columns); divisor = (h1-h0)*(w1-w0) counting padding when COUNT_PAD, else the
//             number of real elements; the sum runs over the real elements only.
//           ADAPTIVE = true: rows floor(oh*H/OH) .. ceil((oh+1)*H/OH), divisor = bin size.
// Layout:   x [planes, H, W], y [planes, OH, OW], contiguous (planes = N * C).
// Threads:  one invocation per output element, 256 per workgroup, 2-D grid.
// Work:     one window of loads per invocation. Memory: none.
// Bounds:   i >= planes*OH*OW returns; windows are clipped to the real input.
// span() is repeated word for word in avg_backward.wgsl, which must see the same windows and
// divisors (the gradient checks catch any difference).
// Chunks:   a batch too large for one storage binding is processed a few images at a time;
//           each binding then starts at an aligned offset before the chunk, and x_off / y_off
//           (elements) lead from there to the chunk's first x-shaped / y-shaped element.

override ADAPTIVE: bool = false;
override COUNT_PAD: bool = true;

struct Params {
  planes: u32, H: u32, W: u32, OH: u32,
  OW: u32, KH: u32, KW: u32, SH: u32,
  SW: u32, PH: u32, PW: u32, x_off: u32,
  y_off: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// [start, end) of window o along one axis (real elements only) and its divisor factor
struct Span { lo: u32, hi: u32, count: u32 }

fn span(o: u32, I: u32, O: u32, K: u32, S: u32, P: u32) -> Span {
  if (ADAPTIVE) {
    let lo = (o * I) / O;
    let hi = ((o + 1u) * I + O - 1u) / O;
    return Span(lo, hi, hi - lo);
  }
  let start = i32(o * S) - i32(P);                 // negative inside the padding
  let end = min(start + i32(K), i32(I + P));
  let lo = u32(max(start, 0));
  let hi = u32(min(end, i32(I)));
  if (COUNT_PAD) { return Span(lo, hi, u32(end - start)); }
  return Span(lo, hi, hi - lo);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.planes * p.OH * p.OW) { return; }
  let ow = i % p.OW;
  let oh = (i / p.OW) % p.OH;
  let plane = i / (p.OW * p.OH);
  let r = span(oh, p.H, p.OH, p.KH, p.SH, p.PH);
  let c = span(ow, p.W, p.OW, p.KW, p.SW, p.PW);
  var acc = 0.0;
  for (var ih = r.lo; ih < r.hi; ih++) {
    for (var iw = c.lo; iw < c.hi; iw++) {
      acc += x[p.x_off + (plane * p.H + ih) * p.W + iw];
    }
  }
  y[p.y_off + i] = acc / f32(r.count * c.count);
}
