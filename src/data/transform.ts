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
  const { width: w, height: h, data } = img;
  const [a, b, c, d, e, f] = m;
  const plane = outH * outW;
  const [s0, s1, s2] = norm.scale;
  const [b0, b1, b2] = norm.bias;
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
      const p00 = (row0 + x0) * 3;
      const p01 = (row0 + x1) * 3;
      const p10 = (row1 + x0) * 3;
      const p11 = (row1 + x1) * 3;
      const w00 = (1 - fy) * (1 - fx);
      const w01 = (1 - fy) * fx;
      const w10 = fy * (1 - fx);
      const w11 = fy * fx;
      const o = offset + i * outW + j;
      out[o] = (w00 * data[p00]! + w01 * data[p01]! + w10 * data[p10]! + w11 * data[p11]!) * s0 + b0;
      out[o + plane] =
        (w00 * data[p00 + 1]! + w01 * data[p01 + 1]! + w10 * data[p10 + 1]! + w11 * data[p11 + 1]!) * s1 + b1;
      out[o + 2 * plane] =
        (w00 * data[p00 + 2]! + w01 * data[p01 + 2]! + w10 * data[p10 + 2]! + w11 * data[p11 + 2]!) * s2 + b2;
    }
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
