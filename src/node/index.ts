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
export { defaultTuneCachePath, autotuneDisabled, readTuneCache, loadTuneCache, saveTuneEntries } from './autotune-cache.js';
export type { AtomicData } from './atomic.js';
export { readSafetensorsFile, writeSafetensorsFile } from './weights-file.js';
export { saveModel, loadModel, loadWeights } from './model-io.js';
export type { ModelMetadata, SaveOptions, LoadedModel } from './model-io.js';
export { main, USAGE } from './cli.js';
export { UsageError, PRESETS, DEFAULT_INPUT_SIZE } from './commands/common.js';
export type { CliIO, CommandContext, OptimizerName } from './commands/common.js';
export { buildModel, makeOptimizer, checkpointSaver, loadCheckpoint, readMeta } from './commands/checkpoint.js';
export type { CheckpointMeta, Preprocessing, BuildOptions } from './commands/checkpoint.js';
export { train, TUTORIAL_AUGMENT } from './commands/train.js';
export type { TrainOptions, TrainResult } from './commands/train.js';
export { predictFiles } from './commands/predict.js';
export type { Prediction } from './commands/predict.js';
export { formatConfusion } from './commands/evaluate.js';
export { checkImageFolder } from './commands/images.js';
export { loadCheckedModel } from './commands/checkpoint.js';
export { DataError, exitStatusOf } from './commands/exit-status.js';
export { readRegularFile, readRegularFileSync, notRegularFile, NotRegularFileError } from './read-file.js';
export { readSafetensorsMetadata } from './weights-file.js';
export { runDemo, writeSyntheticSet, drawSynthetic, encodeImage, SYNTHETIC_CLASSES, DEMO_DEFAULTS } from './demo.js';
export type { DemoOptions, DemoResult, SyntheticOptions, SyntheticSet } from './demo.js';
