// The core's image data: resize, crop, seeded augmentation and normalisation of decoded RGB images.
// Pure arithmetic on typed arrays; both edges (Node files, browser decoders) feed it.
export type { RgbImage } from './image.js';
export {
  imageToChw,
  resizeAffine,
  sampleAffine,
  composeAffine,
  channelNorm,
  type Affine,
  type ChannelNorm,
  type ResizeMode,
  type ResizeOptions,
  type Triple,
} from './transform.js';
export { randomAffine, checkAugmentOptions, mulberry32, mixSeed, type AugmentOptions } from './augment.js';
export { preprocessImage, type PipelineConfig } from './preprocess.js';
export { randomCropBox, cropResizeAffine, type RandomResizedCropOptions, type CropBox } from './random-resized-crop.js';
export { drawSynthetic, syntheticImageSeed, SYNTHETIC_CLASSES } from './synthetic.js';
export { mixBatch, mixedTargets, majorLabels, checkMixOptions, mixEnabled, sampleBeta, type MixOptions, type MixedBatch } from './mix.js';
