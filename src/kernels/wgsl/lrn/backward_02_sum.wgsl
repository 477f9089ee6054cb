// lrn/backward_02_sum.wgsl — second pass of the two-pass LRN gradient:
//           dx[c] = dy[c] dpow[c] - 2 a beta x[c] sum_{j = c-A .. c+B, 0 <= j < C} t[j]
//
// Math:     dpow and t from backward_02_terms.wgsl. j runs over the channels whose window
//           holds c: window(j) = j-B .. j+A contains c for j = c-A .. c+B.
// Layout:   x, dy, dpow, t, dx [N, C, HW] contiguous.
// Threads:  one invocation per element, 256 per workgroup, 2-D grid. Memory: none.
// Work:     4 loads + at most size loads of t (neighbouring channels are HW apart), no pow.
// Bounds:   i >= N*C*HW returns; the channel range is clipped to [0, C).
// Chunks:   as in forward.wgsl.
// Window:   BEFORE and AFTER are pipeline constants: the channel loop runs a fixed count,
//           masked at the edges, and unrolls
//           (figures: BENCHMARKS.md, "Kernel design measurements").

// the channel count and plane size as pipeline constants (set by the host from the shape):
// the index math below then divides by constants, which a CPU driver turns into multiplies
override C: u32;
override HW: u32;
// the window: channels before and after (Params.before / after, as constants)
override BEFORE: u32;
override AFTER: u32;

struct Params {
  N: u32, C: u32, HW: u32, before: u32,
  after: u32, k: f32, a: f32, beta: f32,
  off: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> dpow: array<f32>;
@group(0) @binding(4) var<storage, read> t: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * C * HW) { return; }
  let s = i % HW;
  let c = (i / HW) % C;
  let n = i / (HW * C);
  // the channels whose window holds c: c - AFTER .. c + BEFORE, a fixed count, masked
  var acc = 0.0;
  for (var q = 0u; q <= BEFORE + AFTER; q++) {
    let j = i32(c) - i32(AFTER) + i32(q);
    let v = t[p.off + (n * C + u32(clamp(j, 0, i32(C) - 1))) * HW + s];
    if (j >= 0 && j < i32(C)) { acc += v; }
  }
  let me = p.off + i;
  dx[me] = dy[me] * dpow[me] - 2.0 * p.a * p.beta * x[me] * acc;
}
