// SPDX-License-Identifier: MIT
// The browser edge, the counterpart of src/node/ (and, like it, outside the core): a device from
// navigator.gpu, image decoding with the browser's decoders, data sets from picked or dropped
// folders, checkpoints as downloads and in IndexedDB. Everything else (models, fit, callbacks,
// safetensors, preprocessing) is the core's; import it from the package root. docs/web.md.
export { createWebDevice, WebGPUUnavailableError, browserOf, webgpuAdvice, type BrowserName, type WebDeviceOptions } from './device.js';
export { decodeImage, bitmapToRgb, rgbaToRgb } from './decode.js';
export {
  pickedFiles,
  droppedFiles,
  labelFiles,
  decodeImages,
  webImageDataset,
  WebImageDataset,
  type PickedFile,
  type LabelledFiles,
  type DecodeOptions,
  type DecodeResult,
  type WebImageDatasetOptions,
} from './dataset.js';
export {
  webCheckpointBytes,
  loadCheckpointBytes,
  loadCheckpointFile,
  downloadBytes,
  storeCheckpoint,
  getStoredCheckpoint,
  storedCheckpointKeys,
  deleteStoredCheckpoint,
  type WebCheckpointMeta,
  type WebLoadedCheckpoint,
  type StoredCheckpoint,
} from './checkpoint.js';
export { predictImage, type ImagePrediction } from './predict.js';
