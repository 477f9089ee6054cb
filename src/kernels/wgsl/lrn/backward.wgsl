// lrn/backward.wgsl — dx of local response normalisation, as a gather over channels:
//           dx[c] = dy[c] * d[c]^-beta - 2 a beta x[c] * sum_{j : c in window(j)} dy[j] x[j] d[j]^(-beta-1)
//
// Math:     from y[j] = x[j] d[j]^-beta and d[j] = k + a sum_{c in window(j)} x[c]^2
//           (see forward.wgsl): dy[j]/dx[c] = [j == c] d[j]^-beta - 2 a beta x[j] x[c] d[j]^(-beta-1).
//           window(j) = j - B .. j + A, so c is in window(j) for j = c - A .. c + B.
//           d is recomputed here instead of being saved by the forward: no extra
//           activation-sized buffer, at the cost of about size^2 loads per element (25 for
//           AlexNet's size 5), all from the few channels around c.
// Layout:   x, dy, dx [N, C, HW] contiguous.
// Threads:  one invocation per element, 256 per workgroup, 2-D grid. Memory: none.
// Bounds:   i >= N*C*HW returns; every channel range is clipped to [0, C).
// Chunks:   a batch too large for one storage binding is processed a few images at a time;
//           the bindings then start at an aligned offset before the chunk and `off` (elements)
//           leads from there to the chunk's first element (N is the chunk's image count).

struct Params {
  N: u32, C: u32, HW: u32, before: u32,
  after: u32, k: f32, a: f32, beta: f32,
  off: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// d at channel c of image n, position s
fn denom(n: u32, c: u32, s: u32) -> f32 {
  let c0 = u32(max(i32(c) - i32(p.before), 0));
  let c1 = min(c + p.after, p.C - 1u);
  var sq = 0.0;
  for (var cc = c0; cc <= c1; cc++) {
    let v = x[p.off + (n * p.C + cc) * p.HW + s];
    sq += v * v;
  }
  return p.k + p.a * sq;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.N * p.C * p.HW) { return; }
  let s = i % p.HW;
  let c = (i / p.HW) % p.C;
  let n = i / (p.HW * p.C);
  let j0 = u32(max(i32(c) - i32(p.after), 0));
  let j1 = min(c + p.before, p.C - 1u);
  var acc = 0.0;
  for (var j = j0; j <= j1; j++) {
    let at = p.off + (n * p.C + j) * p.HW + s;
    acc += dy[at] * x[at] * pow(denom(n, j, s), -p.beta - 1.0);
  }
  let me = p.off + i;
  dx[me] = dy[me] * pow(denom(n, c, s), -p.beta) - 2.0 * p.a * p.beta * x[me] * acc;
}
