// SPDX-License-Identifier: MIT
// webgpu-alexnet/node: the Node-only parts. The device through Dawn's Node bindings, the image
// data pipeline, file-writing callbacks and plots, model files, and the CLI's building blocks.

export { initDevice, destroyDevice } from './device.js';
export type { NodeDeviceOptions } from './device.js';
export * from './data/index.js';
export { CSVLogger } from './csv-logger.js';
export type { CSVLoggerOptions } from './csv-logger.js';
export { plotHistorySvg, plotHistoryPng, writeHistoryPlots } from './plot.js';
export type { HistoryLike, PlotOptions } from './plot.js';
export { writeFileAtomic } from './atomic.js';
export { defaultTuneCachePath, autotuneDisabled, readTuneCache, loadTuneCache, saveTuneEntries } from './autotune.js';
export type { AtomicData } from './atomic.js';
export { readSafetensorsFile, writeSafetensorsFile } from './weights-file.js';
export { saveModel, loadModel, loadWeights } from './model-io.js';
export type { ModelMetadata, SaveOptions, LoadedModel } from './model-io.js';
export {
  main,
  train,
  buildModel,
  makeOptimizer,
  checkpointSaver,
  loadCheckpoint,
  predictFiles,
  checkImageFolder,
  formatConfusion,
  readMeta,
  UsageError,
  USAGE,
  PRESETS,
  DEFAULT_INPUT_SIZE,
  TUTORIAL_AUGMENT,
} from './cli.js';
export type { CliIO, TrainOptions, TrainResult, Prediction, CheckpointMeta, Preprocessing, BuildOptions, OptimizerName } from './cli.js';
export { runDemo, writeSyntheticSet, drawSynthetic, encodeImage, SYNTHETIC_CLASSES, DEMO_DEFAULTS } from './demo.js';
export type { DemoOptions, DemoResult, SyntheticOptions, SyntheticSet } from './demo.js';
