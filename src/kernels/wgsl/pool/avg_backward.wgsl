// pool/avg_backward.wgsl — dx of average pooling (fixed or adaptive), as a GATHER:
//           dx[p, ih, iw] = sum over windows (oh, ow) containing (ih, iw) of dy[p, oh, ow] / divisor(oh, ow).
//
// Math:     fixed windows: oh covers ih iff oh*SH - PH <= ih < oh*SH - PH + KH;
//           adaptive bins: oh covers ih iff floor(oh*H/OH) <= ih < ceil((oh+1)*H/OH), which
//           holds only for floor(ih*OH/H) <= oh < ceil((ih+1)*OH/H). The candidate range is
//           then checked against span() itself, so the windows are exactly the forward's.
// Layout:   dy [planes, OH, OW], dx [planes, H, W], contiguous.
// Threads:  one invocation per INPUT element, 256 per workgroup, 2-D grid.
// Work:     ceil(KH/SH) * ceil(KW/SW) windows (fixed), or about (OH/H + 1) * (OW/W + 1) (adaptive).
// Memory:   none. Bounds: i >= planes*H*W returns.
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
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

struct Span { lo: u32, hi: u32, count: u32 }

// identical to span() in avg_forward.wgsl
fn span(o: u32, I: u32, O: u32, K: u32, S: u32, P: u32) -> Span {
  if (ADAPTIVE) {
    let lo = (o * I) / O;
    let hi = ((o + 1u) * I + O - 1u) / O;
    return Span(lo, hi, hi - lo);
  }
  let start = i32(o * S) - i32(P);
  let end = min(start + i32(K), i32(I + P));
  let lo = u32(max(start, 0));
  let hi = u32(min(end, i32(I)));
  if (COUNT_PAD) { return Span(lo, hi, u32(end - start)); }
  return Span(lo, hi, hi - lo);
}

// candidate output indices [lo, hi) whose window may cover input index i
fn cover(i: u32, I: u32, O: u32, K: u32, S: u32, P: u32) -> vec2u {
  if (ADAPTIVE) {
    return vec2u((i * O) / I, min(((i + 1u) * O + I - 1u) / I, O));
  }
  let hi = (i + P) / S + 1u;
  let first = i32(i + P) - i32(K) + 1;
  var lo = 0u;
  if (first > 0) { lo = (u32(first) + S - 1u) / S; }
  return vec2u(lo, min(hi, O));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.planes * p.H * p.W) { return; }
  let iw = i % p.W;
  let ih = (i / p.W) % p.H;
  let plane = i / (p.W * p.H);
  let rows = cover(ih, p.H, p.OH, p.KH, p.SH, p.PH);
  let cols = cover(iw, p.W, p.OW, p.KW, p.SW, p.PW);
  var acc = 0.0;
  for (var oh = rows.x; oh < rows.y; oh++) {
    let r = span(oh, p.H, p.OH, p.KH, p.SH, p.PH);
    if (ih < r.lo || ih >= r.hi) { continue; }
    for (var ow = cols.x; ow < cols.y; ow++) {
      let c = span(ow, p.W, p.OW, p.KW, p.SW, p.PW);
      if (iw < c.lo || iw >= c.hi) { continue; }
      acc += dy[p.y_off + (plane * p.OH + oh) * p.OW + ow] / f32(r.count * c.count);
    }
  }
  dx[p.x_off + i] = acc;
}
