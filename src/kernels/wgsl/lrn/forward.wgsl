// lrn/forward.wgsl — local response normalisation across channels (Krizhevsky et al. 2012):
//           y[n, c, s] = x[n, c, s] / d[n, c, s]^beta,
//           d[n, c, s] = k + a * sum_{c' = c - B .. c + A, 0 <= c' < C} x[n, c', s]^2
//
// Math:     B = floor(size / 2) channels before, A = floor((size - 1) / 2) after: the window
//           is centred for odd sizes; for even sizes it has one more channel before than
//           after, exactly like PyTorch's nn.LocalResponseNorm (which zero-pads the channel
//           axis by (size/2, (size-1)/2) and average-pools). The host passes a = alpha
//           ('sum', the paper) or alpha / size ('average', PyTorch).
// Layout:   x, y [N, C, HW] contiguous (NCHW with HW = H * W).
// Threads:  one invocation per element, 256 per workgroup, 2-D grid.
// Work:     at most size loads per invocation (neighbouring channels are HW apart).
// Memory:   none. Bounds: i >= N*C*HW returns; the window is clipped to [0, C).
// Constants: C and HW are pipeline constants (the host sets them per shape), so the index
//           math divides by constants (divisions by a runtime value cost a few ns each on a
//           CPU driver).
// Window:   its size is a pipeline constant too (BEFORE, AFTER): the channel loop runs a
//           fixed count, masked at the first and last channels, and unrolls
//           (figures: BENCHMARKS.md, "Kernel design measurements").
// Chunks:   a batch too large for one storage binding is processed a few images at a time;
//           the bindings then start at an aligned offset before the chunk and `off` (elements)
//           leads from there to the chunk's first element (N is the chunk's image count).

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
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * C * HW) { return; }
  let s = i % HW;
  let c = (i / HW) % C;
  let n = i / (HW * C);
  // a fixed count of BEFORE + 1 + AFTER channels, those outside [0, C) masked off: the loop
  // unrolls (the window is a constant)
  var sq = 0.0;
  for (var q = 0u; q <= BEFORE + AFTER; q++) {
    let cc = i32(c) - i32(BEFORE) + i32(q);
    let ok = cc >= 0 && cc < i32(C);
    let v = x[p.off + (n * C + u32(clamp(cc, 0, i32(C) - 1))) * HW + s];
    if (ok) { sq += v * v; }
  }
  y[p.off + i] = x[p.off + i] * pow(p.k + p.a * sq, -p.beta);
}
