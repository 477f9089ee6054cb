// Public API of the Node image data pipeline.
export { decodeImage, jpegInfo, jpegDecodeBytes, ImageDecodeError, JPEG_MAX_MEGAPIXELS, JPEG_MAX_MEMORY_MB, PNG_MAX_MEGAPIXELS, type RgbImage, type JpegInfo } from './decode.js';
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
} from '../../data/transform.js';
export { randomAffine, mulberry32, mixSeed, type AugmentOptions } from '../../data/augment.js';
export {
  imageDataset,
  imageDatasetFromFiles,
  ImageDataset,
  type ImageDatasetOptions,
  type SplitOptions,
  type SplitDatasets,
  type Batch,
  type BatchOptions,
} from './dataset.js';
export type { SkippedFile } from './pipeline.js';
