// Public API of the Node image data pipeline.
export { checkImageHeader, decodeImage, jpegInfo, jpegDecodeBytes, ImageDecodeError, JPEG_MAX_MEGAPIXELS, JPEG_MAX_MEMORY_MB, PNG_MAX_MEGAPIXELS, type RgbImage, type JpegInfo } from './decode.js';
// the core's resize, augmentation and preprocessing (src/data/), which this pipeline runs
export * from '../../data/index.js';
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
