// lrn/backward_02_terms.wgsl — first pass of the two-pass LRN gradient: the per-element terms
// that backward.wgsl recomputes for every neighbour.
//
// Math:     (see backward.wgsl) dx[c] = dy[c] d[c]^-beta - 2 a beta x[c] sum_{j = c-A..c+B} t[j]
//           with t[j] = dy[j] x[j] d[j]^(-beta-1). This pass writes, per element j,
//               dpow[j] = d[j]^-beta        and        t[j] = dy[j] x[j] dpow[j] / d[j],
//           computing d[j] once (size loads) and one pow; backward_02_sum.wgsl then gathers
//           size values of t per element. backward.wgsl does the same in one pass with about
//           size^2 loads and size + 1 pows per element: these two passes take less than half
//           its time on lavapipe
//           (figures: BENCHMARKS.md, "Kernel design measurements"). C and HW are
//           pipeline constants (divisions by constants: part of that gain).
// Layout:   x, dy, dpow, t [N, C, HW] contiguous.
// Threads:  one invocation per element, 256 per workgroup, 2-D grid. Memory: none.
// Bounds:   i >= N*C*HW returns; the window is clipped to [0, C).
// Chunks:   as in forward.wgsl (`off` leads from an aligned binding start to the chunk).
// Window:   BEFORE and AFTER are pipeline constants: the channel loop runs a fixed count,
//           masked at the edges, and unrolls.

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
@group(0) @binding(3) var<storage, read_write> dpow: array<f32>;
@group(0) @binding(4) var<storage, read_write> t: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * C * HW) { return; }
  let s = i % HW;
  let c = (i / HW) % C;
  let n = i / (HW * C);
  // d[c] exactly as the forward computes it
  // a fixed count of BEFORE + 1 + AFTER channels, those outside [0, C) masked off: the loop
  // unrolls (the window is a constant)
  var sq = 0.0;
  for (var q = 0u; q <= BEFORE + AFTER; q++) {
    let cc = i32(c) - i32(BEFORE) + i32(q);
    let ok = cc >= 0 && cc < i32(C);
    let v = x[p.off + (n * C + u32(clamp(cc, 0, i32(C) - 1))) * HW + s];
    if (ok) { sq += v * v; }
  }
  let d = p.k + p.a * sq;
  let dp = pow(d, -p.beta);
  let me = p.off + i;
  dpow[me] = dp;
  t[me] = dy[me] * x[me] * dp / d;
}
