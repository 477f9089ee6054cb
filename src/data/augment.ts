// Random augmentation in the manner of Keras's ImageDataGenerator, as one affine map, fully seeded.
import type { Affine } from './transform.js';
import { mixSeed, mulberry32 } from '../tensor/rng.js';
import { checkRandomResizedCrop, type RandomResizedCropOptions } from './random-resized-crop.js';

// re-exported: the pipeline's modules import them from here
export { mixSeed, mulberry32 };

/** Options named after ImageDataGenerator's arguments (camelCase). Every range is symmetric around "no change". */
export interface AugmentOptions {
  /** Flip left-right with probability 1/2 (horizontal_flip). */
  horizontalFlip?: boolean;
  /** Rotation drawn uniformly from [-r, r] degrees (rotation_range). */
  rotationRange?: number;
  /** Shear angle drawn uniformly from [-s, s] DEGREES, as Keras does (shear_range; 0.2 there means 0.2°). */
  shearRange?: number;
  /** Zoom factors (rows and columns drawn separately) from [1-z, 1+z], or from [lo, hi] (zoom_range). >1 zooms out. */
  zoomRange?: number | readonly [number, number];
  /** Horizontal shift drawn from [-f, f] times the width (width_shift_range; fractions only). */
  widthShiftRange?: number;
  /** Vertical shift drawn from [-f, f] times the height (height_shift_range; fractions only). */
  heightShiftRange?: number;
  /** Points outside the image take the nearest edge pixel; the only mode, as it is Keras's default. */
  fillMode?: 'nearest';
  /**
   * Crop a random part of the image (torchvision's RandomResizedCrop: area fraction `scale`,
   * aspect ratio `ratio`) and stretch it to the output size, in place of the plain resize.
   * The other transforms (flip included) still apply, about the source image's centre.
   */
  randomResizedCrop?: RandomResizedCropOptions;
}

/** Throws a readable error for option values that make no sense. */
export function checkAugmentOptions(o: AugmentOptions): void {
  const nonNegative = { rotationRange: o.rotationRange, shearRange: o.shearRange };
  for (const [k, v] of Object.entries(nonNegative)) {
    if (v !== undefined && !(v >= 0)) throw new Error(`augment.${k} must be >= 0, got ${v}`);
  }
  for (const [k, v] of Object.entries({ widthShiftRange: o.widthShiftRange, heightShiftRange: o.heightShiftRange })) {
    if (v !== undefined && !(v >= 0 && v < 1)) throw new Error(`augment.${k} is a fraction of the size in [0, 1), got ${v}`);
  }
  const [lo, hi] = zoomBounds(o.zoomRange);
  if (!(lo > 0 && hi >= lo)) throw new Error(`augment.zoomRange must give 0 < lo <= hi, got [${lo}, ${hi}]`);
  if (o.randomResizedCrop) checkRandomResizedCrop(o.randomResizedCrop);
  if (o.fillMode !== undefined && o.fillMode !== 'nearest') throw new Error(`augment.fillMode '${o.fillMode}' is not supported (only 'nearest')`);
}

function zoomBounds(z: AugmentOptions['zoomRange']): [number, number] {
  if (z === undefined) return [1, 1];
  return typeof z === 'number' ? [1 - z, 1 + z] : [z[0], z[1]];
}

/**
 * Draws one random transform for an h x w image and returns it as a map from output pixel to source
 * position, in the same (row, col) convention as Keras's apply_affine_transform:
 * rotation · shift · shear · zoom about the image centre, then the flip of the output.
 * Every value is drawn every time, so the stream does not depend on which options are on.
 */
export function randomAffine(rng: () => number, o: AugmentOptions, h: number, w: number): Affine {
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng();
  const rad = Math.PI / 180;
  const theta = uniform(-1, 1) * (o.rotationRange ?? 0) * rad;
  const tx = uniform(-1, 1) * (o.heightShiftRange ?? 0) * h;
  const ty = uniform(-1, 1) * (o.widthShiftRange ?? 0) * w;
  const shear = uniform(-1, 1) * (o.shearRange ?? 0) * rad;
  const [zlo, zhi] = zoomBounds(o.zoomRange);
  const zx = uniform(zlo, zhi);
  const zy = uniform(zlo, zhi);
  const flip = rng() < 0.5 && o.horizontalFlip === true;

  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  // rotation · shift · shear · zoom, multiplied out: [[a, b], [d, e]] and translation (tx', ty').
  const a = cos * zx;
  const b = (-cos * Math.sin(shear) - sin * Math.cos(shear)) * zy;
  const d = sin * zx;
  const e = (-sin * Math.sin(shear) + cos * Math.cos(shear)) * zy;
  const c0 = cos * tx - sin * ty;
  const f0 = sin * tx + cos * ty;
  // Centre on the middle of the image: p -> M (p - centre) + centre.
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const c = c0 + cy - a * cy - b * cx;
  const f = f0 + cx - d * cy - e * cx;
  // A flip of the output maps col -> (w - 1) - col before M.
  return flip ? [a, -b, c + b * (w - 1), d, -e, f + e * (w - 1)] : [a, b, c, d, e, f];
}
