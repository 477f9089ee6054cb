// dropout/dropout.wgsl — inverted dropout with a counter-based mask:
//           y[i] = keep(i) ? x[i] * scale : 0,   keep(i) = (hash(seed, offset + i) >> 8) >= threshold.
//
// Math:     hash is the PCG-style hash of init/random.wgsl; its top 24 bits are compared with
//           threshold = round(p * 2^24) as INTEGERS, so the drop rate is threshold / 2^24 ~ p
//           and the CPU reproduces the mask bit for bit (src/tensor/reference/nn.ts).
//           scale = 1 / (1 - p). The backward runs this same kernel on dY with the same
//           seed: the mask is regenerated, never stored.
// Layout:   flat float32 arrays of n elements, element i being logical element offset + i
//           (a tensor processed in chunks gets the same mask as one processed whole).
// Threads:  one invocation per element, 256 per workgroup, 2-D grid. Memory: none.
// Bounds:   i >= n returns.

struct Params {
  n: u32,
  seed: u32,
  threshold: u32,
  scale: f32,
  offset: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// the hash of init/random.wgsl
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn hash2(seed: u32, i: u32) -> u32 {
  return pcg(pcg(i) ^ (seed * 0x9E3779B9u + 0x632BE5ABu));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let keep = (hash2(p.seed, p.offset + i) >> 8u) >= p.threshold;
  y[i] = select(0.0, x[i] * p.scale, keep);
}
