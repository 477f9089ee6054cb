// Geometry and normalisation: every image goes through one affine inverse mapping (resize, crop and
// augmentation composed) sampled bilinearly, written straight into Float32 CHW.
import type { RgbImage } from './image.js';

/** 'stretch' ignores the aspect ratio; 'center-crop' scales the shorter side to fit, then crops the middle. */
export type ResizeMode = 'stretch' | 'center-crop';

/**
 * Row-major 2x3 matrix [a, b, c, d, e, f] taking an output pixel (row, col) to a source position:
 * srcRow = a*row + b*col + c, srcCol = d*row + e*col + f. Pixel centres sit at integer coordinates.
 */
export type Affine = readonly [number, number, number, number, number, number];

/** `outer ∘ inner`: apply `inner` to the output pixel first, then `outer` to its result. */
export function composeAffine(outer: Affine, inner: Affine): Affine {
  const [a, b, c, d, e, f] = outer;
  const [p, q, r, s, t, u] = inner;
  return [a * p + b * s, a * q + b * t, a * r + b * u + c, d * p + e * s, d * q + e * t, d * r + e * u + f];
}

/**
 * Mapping of a resize from srcH x srcW to outH x outW with align_corners=false (half-pixel centres),
 * as torch.nn.functional.interpolate(mode='bilinear') and tf.image.resize do:
 * src = (dst + 0.5) * scale - 0.5. There is no antialiasing filter when shrinking (same as both).
 */
export function resizeAffine(srcH: number, srcW: number, outH: number, outW: number, mode: ResizeMode): Affine {
  let sy = outH / srcH;
  let sx = outW / srcW;
  if (mode === 'center-crop') sy = sx = Math.max(sy, sx);
  // Offsets of the centred crop window inside the scaled image (0 for 'stretch').
  const oy = (srcH * sy - outH) / 2;
  const ox = (srcW * sx - outW) / 2;
  return [1 / sy, 0, (0.5 + oy) / sy - 0.5, 0, 1 / sx, (0.5 + ox) / sx - 0.5];
}

/** Per-channel `value * scale + bias`, derived from rescale/mean/std. */
export interface ChannelNorm {
  scale: readonly [number, number, number];
  bias: readonly [number, number, number];
}

export type Triple = readonly [number, number, number];

/** out = (pixel * rescale - mean[c]) / std[c]. */
export function channelNorm(rescale: number, mean: Triple = [0, 0, 0], std: Triple = [1, 1, 1]): ChannelNorm {
  return {
    scale: [rescale / std[0], rescale / std[1], rescale / std[2]],
    bias: [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]],
  };
}

/**
 * Samples `img` bilinearly at `m(row, col)` for every output pixel and writes planar CHW floats into
 * `out` starting at `offset` (3*outH*outW values). Source positions are clamped to the image, which
 * both matches PyTorch's border handling for resizes and is Keras's fill_mode='nearest'.
 *
 * An axis-aligned map (b = d = 0: resizes, crops and mirrors, not rotations or shears) takes a
 * separable path: the source row of an output row and the source column of an output column are
 * computed once each instead of once per pixel. Both paths do the same float64 arithmetic in the
 * same order, so they give the same bits.
 */
export function sampleAffine(
  img: RgbImage,
  m: Affine,
  outH: number,
  outW: number,
  norm: ChannelNorm,
  out: Float32Array,
  offset = 0,
): void {
  if (m[1] === 0 && m[3] === 0) sampleAxisAligned(img, m, outH, outW, norm, out, offset);
  else sampleGeneral(img, m, outH, outW, norm, out, offset);
}

/** The per-pixel path (any affine map); exported for the tests that compare the two paths. */
export function sampleGeneral(img: RgbImage, m: Affine, outH: number, outW: number, norm: ChannelNorm, out: Float32Array, offset: number): void {
  const { width: w, height: h, data } = img;
  const [a, b, c, d, e, f] = m;
  const plane = outH * outW;
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      const y = Math.min(Math.max(a * i + b * j + c, 0), h - 1);
      const x = Math.min(Math.max(d * i + e * j + f, 0), w - 1);
      const y0 = Math.floor(y);
      const x0 = Math.floor(x);
      const fy = y - y0;
      const fx = x - x0;
      const row0 = y0 * w;
      const row1 = Math.min(y0 + 1, h - 1) * w;
      const x1 = Math.min(x0 + 1, w - 1);
      blend(data, (row0 + x0) * 3, (row0 + x1) * 3, (row1 + x0) * 3, (row1 + x1) * 3, fy, fx, norm, out, offset + i * outW + j, plane);
    }
  }
}

/**
 * The separable case of sampleGeneral: y depends on the row only and x on the column only. With
 * b = 0 the term b*j is ±0, and adding ±0 leaves a*i unchanged, so y = a*i + c is bit-identical
 * to the general path's (a*i + b*j) + c; the same holds for x.
 */
function sampleAxisAligned(img: RgbImage, m: Affine, outH: number, outW: number, norm: ChannelNorm, out: Float32Array, offset: number): void {
  const { width: w, height: h, data } = img;
  const [a, , c, , e, f] = m;
  const plane = outH * outW;
  // per output column: the two source pixel offsets (x3) and the weight of the right one
  const col0 = new Int32Array(outW);
  const col1 = new Int32Array(outW);
  const colF = new Float64Array(outW);
  for (let j = 0; j < outW; j++) {
    const x = Math.min(Math.max(e * j + f, 0), w - 1);
    const x0 = Math.floor(x);
    colF[j] = x - x0;
    col0[j] = x0;
    col1[j] = Math.min(x0 + 1, w - 1);
  }
  for (let i = 0; i < outH; i++) {
    const y = Math.min(Math.max(a * i + c, 0), h - 1);
    const y0 = Math.floor(y);
    const fy = y - y0;
    const row0 = y0 * w;
    const row1 = Math.min(y0 + 1, h - 1) * w;
    const base = offset + i * outW;
    for (let j = 0; j < outW; j++) {
      const x0 = col0[j]!;
      const x1 = col1[j]!;
      blend(data, (row0 + x0) * 3, (row0 + x1) * 3, (row1 + x0) * 3, (row1 + x1) * 3, fy, colF[j]!, norm, out, base + j, plane);
    }
  }
}

/**
 * Writes the bilinear blend of four source pixels (offsets of RGB triples in `data`) with
 * weights from the fractions fy, fx, normalised, to channel planes at o, o + plane, o + 2 plane.
 */
function blend(
  data: Uint8Array,
  p00: number,
  p01: number,
  p10: number,
  p11: number,
  fy: number,
  fx: number,
  norm: ChannelNorm,
  out: Float32Array,
  o: number,
  plane: number,
): void {
  const w00 = (1 - fy) * (1 - fx);
  const w01 = (1 - fy) * fx;
  const w10 = fy * (1 - fx);
  const w11 = fy * fx;
  for (let ch = 0; ch < 3; ch++) {
    out[o + ch * plane] = (w00 * data[p00 + ch]! + w01 * data[p01 + ch]! + w10 * data[p10 + ch]! + w11 * data[p11 + ch]!) * norm.scale[ch]! + norm.bias[ch]!;
  }
}

export interface ResizeOptions {
  resizeMode?: ResizeMode;
  /** Multiplies raw 0..255 values first (e.g. 1/255). Default 1. */
  rescale?: number;
  /** Subtracted per channel after rescaling. */
  mean?: Triple;
  /** Divides per channel after subtracting the mean. */
  std?: Triple;
}

/** Resizes one decoded image to [3, outH, outW] float32 (CHW). */
export function imageToChw(img: RgbImage, outH: number, outW: number, opts: ResizeOptions = {}): Float32Array {
  const out = new Float32Array(3 * outH * outW);
  const m = resizeAffine(img.height, img.width, outH, outW, opts.resizeMode ?? 'stretch');
  sampleAffine(img, m, outH, outW, channelNorm(opts.rescale ?? 1, opts.mean, opts.std), out);
  return out;
}
