// softmax/cross_entropy.wgsl — fused softmax cross-entropy: the loss of each row AND its
//           gradient, in one kernel.
//
// Math:     lse = m + log sum_c exp(x[c] - m) with m = max_c x[c] (stable log-sum-exp);
//           target q[c] = (1 - eps) * t[c] + eps / C   (label smoothing as in PyTorch), where
//           t is one-hot of the label (SOFT = false) or the given probabilities (SOFT = true);
//           loss[n] = sum_c q[c] * (lse - x[c])               (= -sum_c q[c] log softmax(x)[c])
//           dx[n, c] = scale * (softmax(x)[c] * sum_c' q[c'] - q[c])   with scale = 1/N (mean).
//           The host takes the mean of loss[] and multiplies dx by the incoming gradient.
// Layout:   x [N, C] float32; tgt [N] int32 labels or [N, C] float32 probabilities, bound
//           as raw u32 words (one binding type for both); loss [N]; dx [N, C].
// Threads:  one WORKGROUP of 64 per row n; tree reductions in workgroup memory.
// Work:     four passes over the row (max, sum of exp, loss, gradient).
// Memory:   2 x 64 floats of workgroup memory.
// Bounds:   a workgroup past the last row returns before any barrier. A label outside
//           [0, C) reads nothing out of bounds: its row's loss and gradient become NaN
//           (p.invalid holds a NaN from the host), so the mean loss shows the error.

override SOFT: bool = false;

struct Params {
  N: u32,
  C: u32,
  eps: f32,
  scale: f32,
  invalid: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<u32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

var<workgroup> part: array<f32, 64>;
var<workgroup> part2: array<f32, 64>;

// smoothed target probability of class c in row n
fn q(n: u32, c: u32, label: i32) -> f32 {
  var t: f32;
  if (SOFT) { t = bitcast<f32>(tgt[n * p.C + c]); } else { t = select(0.0, 1.0, i32(c) == label); }
  return (1.0 - p.eps) * t + p.eps / f32(p.C);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let n = wid.x + wid.y * nwg.x;
  if (n >= p.N) { return; }
  let base = n * p.C;
  var label = 0;
  var valid = true;
  if (!SOFT) {
    label = bitcast<i32>(tgt[n]);
    valid = label >= 0 && label < i32(p.C);
  }

  var m = -3.4028234e38;
  for (var c = t; c < p.C; c += 64u) { m = max(m, x[base + c]); }
  part[t] = m;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h >>= 1u) {
    if (t < h) { part[t] = max(part[t], part[t + h]); }
    workgroupBarrier();
  }
  m = part[0];
  workgroupBarrier();

  var s = 0.0;
  for (var c = t; c < p.C; c += 64u) { s += exp(x[base + c] - m); }
  part[t] = s;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h >>= 1u) {
    if (t < h) { part[t] = part[t] + part[t + h]; }
    workgroupBarrier();
  }
  let lse = m + log(part[0]);
  workgroupBarrier();

  var l = 0.0;
  var qsum = 0.0;
  for (var c = t; c < p.C; c += 64u) {
    let qc = q(n, c, label);
    l += qc * (lse - x[base + c]);
    qsum += qc;
  }
  part[t] = l;
  part2[t] = qsum;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h >>= 1u) {
    if (t < h) {
      part[t] = part[t] + part[t + h];
      part2[t] = part2[t] + part2[t + h];
    }
    workgroupBarrier();
  }
  qsum = part2[0];
  if (t == 0u) { loss[n] = select(p.invalid, part[0], valid); }

  for (var c = t; c < p.C; c += 64u) {
    let g = p.scale * (exp(x[base + c] - lse) * qsum - q(n, c, label));
    dx[base + c] = select(p.invalid, g, valid);
  }
}
