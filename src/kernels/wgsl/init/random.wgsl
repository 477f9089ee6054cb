// init/random.wgsl — counter-based random numbers: uniform in [lo, hi) or normal(mean, std).
//
// Math:     u = hash(seed, i) / 2^32 with a stateless integer hash (PCG-style output
//           permutation applied to a 2-round mix of seed and index), so element i gets the
//           same value on any device and in any dispatch order. Normal values use the
//           Box-Muller transform on two independent uniforms (counters 2i and 2i+1).
// Layout:   flat float32 array of n elements, starting at element `offset` of the logical
//           tensor (so a tensor filled in chunks gets the same numbers as one filled whole).
// Threads:  one invocation per element, 256 per workgroup, 2-D grid (see unary.wgsl).
// Bounds:   i >= n returns.
// NORMAL:   override; false = uniform(a, b), true = normal(mean a, std b).
// The same hash drives dropout masks (src/kernels/wgsl/dropout/).

override NORMAL: bool = false;

struct Params {
  n: u32,
  seed: u32,
  a: f32,
  b: f32,
  offset: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn hash2(seed: u32, i: u32) -> u32 {
  return pcg(pcg(i) ^ (seed * 0x9E3779B9u + 0x632BE5ABu));
}

// uniform in (0, 1): 24 high bits, offset by half a step so log() never sees 0
fn unit(h: u32) -> f32 {
  return (f32(h >> 8u) + 0.5) * (1.0 / 16777216.0);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let k = i + p.offset;
  if (NORMAL) {
    let u1 = unit(hash2(p.seed, 2u * k));
    let u2 = unit(hash2(p.seed, 2u * k + 1u));
    let z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    y[i] = p.a + p.b * z;
  } else {
    y[i] = p.a + (p.b - p.a) * unit(hash2(p.seed, k));
  }
}
