// One decoded image to one CHW float sample: resize (and crop), optional seeded augmentation,
// rescale and normalisation, all as one affine map sampled bilinearly. Pure: the Node pipeline
// (workers or inline) and the browser edge call this same function, so a seed gives the same
// sample everywhere.
import { randomAffine, checkAugmentOptions, mixSeed, mulberry32, type AugmentOptions } from './augment.js';
import type { RgbImage } from './image.js';
import { cropResizeAffine, randomCropBox } from './random-resized-crop.js';
import { channelNorm, composeAffine, resizeAffine, sampleAffine, type ResizeMode, type Triple } from './transform.js';

/** Everything that turns a decoded image into a sample; plain data so it can be posted to a thread. */
export interface PipelineConfig {
  imageSize: readonly [number, number];
  resizeMode: ResizeMode;
  rescale: number;
  mean?: Triple;
  std?: Triple;
  augment?: AugmentOptions;
  seed: number;
}

export { checkAugmentOptions };

/** Tags the random-resized-crop stream apart from the affine one. */
const CROP_TAG = 0x43524f50;

/**
 * Writes the sample of `img` into `out` at `offset` (3 * H * W floats). `epoch` and `index` (the
 * sample's position in its data set) seed the augmentation together with `config.seed`.
 */
export function preprocessImage(
  img: RgbImage,
  config: PipelineConfig,
  epoch: number,
  index: number,
  out: Float32Array,
  offset: number,
): void {
  const [outH, outW] = config.imageSize;
  let m = resizeAffine(img.height, img.width, outH, outW, config.resizeMode);
  const crop = config.augment?.randomResizedCrop;
  if (crop) {
    // its own stream (a varying number of draws), so the affine draws below stay as they were
    const box = randomCropBox(mulberry32(mixSeed(config.seed, epoch, index, CROP_TAG)), crop, img.height, img.width);
    m = cropResizeAffine(box, outH, outW);
  }
  if (config.augment) {
    const rng = mulberry32(mixSeed(config.seed, epoch, index));
    m = composeAffine(randomAffine(rng, config.augment, img.height, img.width), m);
  }
  sampleAffine(img, m, outH, outW, channelNorm(config.rescale, config.mean, config.std), out, offset);
}
