// SPDX-License-Identifier: MIT
// Batch mixing for training: mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019), as
// torchvision's v2.MixUp / v2.CutMix and timm's Mixup do them. One λ per batch; each sample
// is mixed with its neighbour in the (already shuffled) batch, sample i with sample i-1
// (torchvision's roll by one), so every sample of a batch of two or more meets another image.
//
//   mixup:   x_i ← λ x_i + (1-λ) x_{i-1},                 λ ~ Beta(α, α)
//   CutMix:  x_i ← x_i with a box pasted from x_{i-1},    λ ~ Beta(α, α), then
//            the box has sides H√(1-λ) × W√(1-λ), a uniform random centre, is clipped to
//            the image, and λ becomes 1 - (box area)/(H W): the fraction actually kept.
//   target:  λ onehot(y_i) + (1-λ) onehot(y_{i-1})  (the loss builds it: compile.ts)
//
// Pure arithmetic on host arrays (x is [n, C, H, W] row-major, float32), seeded by the caller,
// so a run with the same seed mixes the same way, in Node and in the browser.

export interface MixOptions {
  /** α of Beta(α, α) for mixup's λ; 0 or absent: no mixup (torchvision's recipes use 0.2). */
  mixupAlpha?: number;
  /** α of Beta(α, α) for CutMix's λ; 0 or absent: no CutMix (torchvision's recipes use 1.0). */
  cutmixAlpha?: number;
  /** Probability that a batch is mixed at all. Default 1. */
  prob?: number;
  /** With both on: probability that a mixed batch uses CutMix rather than mixup. Default 0.5. */
  switchProb?: number;
}

/** A mixed batch: the images, each sample's partner label, and the weight of its own label. */
export interface MixedBatch {
  kind: 'mixup' | 'cutmix' | 'none';
  /** [n, ...sampleShape] mixed images: a new array (the input is not changed), or for 'none' a view of the input's first n samples. */
  x: Float32Array;
  /** The partner's label of every sample (y[i-1], y[n-1] for the first). */
  partner: Int32Array;
  /** Weight of each sample's own label in its target; 1 - lam is its partner's. */
  lam: number;
  /** CutMix's box, [top, left, bottom, right) in pixels; absent for mixup. */
  box?: [number, number, number, number];
}

const probability = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;

/** Throws, naming the field, when an option is out of range. */
export function checkMixOptions(o: MixOptions): void {
  for (const k of ['mixupAlpha', 'cutmixAlpha'] as const) {
    const a = o[k];
    if (a !== undefined && !(Number.isFinite(a) && a >= 0)) throw new Error(`mix: ${k} must be a number >= 0, got ${a}`);
  }
  if (o.prob !== undefined && !probability(o.prob)) throw new Error(`mix: prob must be in [0, 1], got ${o.prob}`);
  if (o.switchProb !== undefined && !probability(o.switchProb)) throw new Error(`mix: switchProb must be in [0, 1], got ${o.switchProb}`);
}

/** Whether the options mix anything at all. */
export function mixEnabled(o: MixOptions | undefined): boolean {
  return Boolean(o && ((o.mixupAlpha ?? 0) > 0 || (o.cutmixAlpha ?? 0) > 0) && (o.prob ?? 1) > 0);
}

/** A standard normal sample (Box–Muller; `rng` gives [0, 1)). */
function normal(rng: () => number): number {
  const u = 1 - rng(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1) · U^(1/shape). */
export function sampleGamma(rng: () => number, shape: number): number {
  if (!(shape > 0)) throw new Error(`sampleGamma: shape must be > 0, got ${shape}`);
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = normal(rng);
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) as G_a / (G_a + G_b). */
export function sampleBeta(rng: () => number, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/**
 * Mixes one batch of `n` samples of `sampleShape` ([C, H, W] for CutMix; any shape for mixup).
 * `x` may be longer than n samples (a reused batch buffer); only the first n are read.
 */
export function mixBatch(
  x: Float32Array,
  y: ArrayLike<number>,
  n: number,
  sampleShape: readonly number[],
  o: MixOptions,
  rng: () => number,
): MixedBatch {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  if (x.length < n * size) throw new Error(`mix: ${x.length} values hold fewer than ${n} samples of [${sampleShape.join(', ')}]`);
  if (y.length < n) throw new Error(`mix: ${y.length} labels for ${n} samples`);
  const partner = new Int32Array(n);
  for (let i = 0; i < n; i++) partner[i] = y[(i + n - 1) % n]!;

  const mixup = o.mixupAlpha ?? 0;
  const cutmix = o.cutmixAlpha ?? 0;
  if ((mixup <= 0 && cutmix <= 0) || n < 2 || rng() >= (o.prob ?? 1)) return { kind: 'none', x: x.subarray(0, n * size), partner, lam: 1 };
  const useCutmix = cutmix > 0 && (mixup <= 0 || rng() < (o.switchProb ?? 0.5));

  if (!useCutmix) {
    const lam = sampleBeta(rng, mixup, mixup);
    const out = new Float32Array(n * size);
    for (let i = 0; i < n; i++) {
      const a = i * size;
      const b = ((i + n - 1) % n) * size;
      for (let k = 0; k < size; k++) out[a + k] = lam * x[a + k]! + (1 - lam) * x[b + k]!;
    }
    return { kind: 'mixup', x: out, partner, lam };
  }

  if (sampleShape.length !== 3) throw new Error(`mix: CutMix needs [C, H, W] samples, got [${sampleShape.join(', ')}]`);
  const [C, H, W] = sampleShape as [number, number, number];
  const lam0 = sampleBeta(rng, cutmix, cutmix);
  const r = Math.sqrt(1 - lam0);
  const cy = Math.floor(rng() * H);
  const cx = Math.floor(rng() * W);
  const hh = Math.floor((H * r) / 2);
  const hw = Math.floor((W * r) / 2);
  const top = Math.max(0, cy - hh);
  const bottom = Math.min(H, cy + hh);
  const left = Math.max(0, cx - hw);
  const right = Math.min(W, cx + hw);
  const lam = 1 - ((bottom - top) * (right - left)) / (H * W);
  const out = x.slice(0, n * size);
  for (let i = 0; i < n; i++) {
    const a = i * size;
    const b = ((i + n - 1) % n) * size;
    for (let c = 0; c < C; c++) {
      for (let r0 = top; r0 < bottom; r0++) {
        const row = c * H * W + r0 * W;
        out.set(x.subarray(b + row + left, b + row + right), a + row + left);
      }
    }
  }
  return { kind: 'cutmix', x: out, partner, lam, box: [top, left, bottom, right] };
}

/**
 * The mixed targets as probabilities, [n, classes] row-major: λ at the sample's own label and
 * 1-λ at its partner's (both at one index when they agree). A label outside [0, classes) makes
 * its row NaN, so the loss is NaN, as with integer labels.
 */
export function mixedTargets(y: ArrayLike<number>, m: Pick<MixedBatch, 'partner' | 'lam'>, n: number, classes: number): Float32Array {
  const t = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const a = y[i]!;
    const b = m.partner[i]!;
    if (!(a >= 0 && a < classes && b >= 0 && b < classes)) {
      t.fill(NaN, i * classes, (i + 1) * classes);
      continue;
    }
    t[i * classes + a]! += m.lam;
    t[i * classes + b]! += 1 - m.lam;
  }
  return t;
}

/** The label with the larger weight in each target (ties: the sample's own), for accuracy. */
export function majorLabels(y: ArrayLike<number>, m: Pick<MixedBatch, 'partner' | 'lam'>, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = m.lam >= 0.5 ? y[i]! : m.partner[i]!;
  return out;
}
