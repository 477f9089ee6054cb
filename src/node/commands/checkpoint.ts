// SPDX-License-Identifier: MIT
// The CLI's view of a checkpoint: its metadata as typed values (preset, classes, input size,
// preprocessing, epoch, ...), the model and optimizer a run builds, the saver `fit()` calls,
// and loading a checkpoint for predict and evaluate.

import { existsSync } from 'node:fs';
import { Adam, AdamW } from '../../optim/adam.js';
import { SGD } from '../../optim/sgd.js';
import { alexnet, type AlexNet } from '../../models/alexnet.js';
import type { Module } from '../../layers/module.js';
import type { Optimizer } from '../../optim/optimizer.js';
import type { Tensor } from '../../tensor/index.js';
import type { Logs } from '../../train/callbacks.js';
import type { TrainableModel } from '../../train/model.js';
import { CheckpointError, checkMetadata, checkModelFit, metadataFields, type CheckedMetadata } from '../../io/checkpoint-meta.js';
import { loadModel, saveModel, type LoadedModel } from '../model-io.js';
import { readSafetensorsMetadata } from '../weights-file.js';
import { quotePath } from '../quote.js';
import { notRegularFile } from '../read-file.js';
import { ensureDevice, MIN_INPUT_SIZE, UsageError, type CliIO, type OptimizerName, type Preset } from './common.js';

/** What a checkpoint's metadata says about preprocessing; images are fed the same way at predict time. */
export interface Preprocessing {
  rescale: number;
  resizeMode: 'stretch' | 'center-crop';
}

export interface CheckpointMeta {
  preset: Preset;
  classNames: string[];
  inputSize: number;
  preprocessing: Preprocessing;
  width?: number;
  /** Epochs completed when the checkpoint was written (the epoch to resume at, 0-based). */
  epoch?: number;
  optimizer?: string;
  seed?: number;
  /** The best val_accuracy of the run so far, and its 0-based epoch (ModelCheckpoint's, kept for --resume). */
  bestValAccuracy?: number;
  bestEpoch?: number;
}

export const DEFAULT_PREPROCESSING: Preprocessing = { rescale: 1 / 255, resizeMode: 'stretch' };

/**
 * Reads the metadata fields (as loadModel returns them, or the file's strings) into typed values,
 * checking each (src/io/checkpoint-meta.ts): a problem is a CheckpointError naming `source` and
 * the field. preset, class_names and input_size are required.
 */
export function readMeta(raw: Record<string, unknown>, source: string): CheckpointMeta {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) Object.assign(fields, typeof v === 'string' ? metadataFields({ [k]: v }) : { [k]: v });
  const m = checkMetadata(fields, source);
  for (const [key, file] of [['preset', 'preset'], ['classNames', 'class_names'], ['inputSize', 'input_size']] as const) {
    if (m[key] === undefined) throw new CheckpointError(source, file, 'missing (a checkpoint written by train has it; docs/weights.md)');
  }
  return {
    preset: m.preset!,
    classNames: m.classNames!,
    inputSize: m.inputSize!,
    preprocessing: { ...DEFAULT_PREPROCESSING, ...m.preprocessing },
    width: m.width,
    epoch: m.epoch,
    optimizer: m.optimizer,
    seed: m.seed,
    bestValAccuracy: m.bestValAccuracy,
    bestEpoch: m.bestEpoch,
  };
}

/**
 * Loads a checkpoint after checking its metadata from the file's header (before the model is
 * built or anything reaches the GPU), then checks the metadata against the built model.
 */
export async function loadCheckedModel(path: string): Promise<{ loaded: LoadedModel; meta: CheckpointMeta }> {
  const source = quotePath(path);
  const header = await readSafetensorsMetadata(path);
  checkInputSize(checkMetadata(metadataFields(header), source), source);
  const loaded = await loadModel(path);
  try {
    const meta = readMeta(loaded.metadata as Record<string, unknown>, source);
    checkModelFit({ classNames: meta.classNames }, { numClasses: loaded.model.config.numClasses }, source);
    return { loaded, meta };
  } catch (e) {
    loaded.model.dispose();
    throw e;
  }
}

/** The input size a checkpoint's metadata gives, against its preset's smallest (the model would not build). */
function checkInputSize(m: CheckedMetadata, source: string): void {
  const preset = (m.modelConfig?.preset ?? m.preset) as Preset | undefined;
  const fromConfig = m.modelConfig?.inputSize !== undefined;
  const size = m.modelConfig?.inputSize ?? m.inputSize;
  if (preset === undefined || size === undefined || !(preset in MIN_INPUT_SIZE)) return;
  if (size < MIN_INPUT_SIZE[preset]) {
    throw new CheckpointError(source, fromConfig ? 'model_config' : 'input_size', `${fromConfig ? 'inputSize ' : ''}${size} is smaller than the ${MIN_INPUT_SIZE[preset]} px the '${preset}' preset takes`);
  }
}

export interface BuildOptions {
  preset: Preset;
  numClasses: number;
  inputSize: number;
  seed: number;
  /** Channel-width multiplier (1 = the preset's channels). */
  width?: number;
}

/** The AlexNet for these options. */
export function buildModel(o: BuildOptions): AlexNet {
  return alexnet({ preset: o.preset, numClasses: o.numClasses, inputSize: o.inputSize, seed: o.seed, ...(o.width !== undefined && o.width !== 1 ? { width: o.width } : {}) });
}

/** SGD (momentum 0.9), Adam or AdamW; `decay` sets the weight decay (AdamW's default 0.01 otherwise). */
export function makeOptimizer(
  name: OptimizerName,
  model: { namedParameters(): [string, Tensor][] },
  lr: number,
  decay: { weightDecay?: number; decayOnlyWeights?: boolean } = {},
) {
  const wd = decay.weightDecay === undefined ? {} : { weightDecay: decay.weightDecay };
  const only = { decayOnlyWeights: decay.decayOnlyWeights ?? false };
  if (name === 'adamw') return new AdamW(model.namedParameters(), { lr, ...wd, ...only });
  if (name === 'adam') return new Adam(model.namedParameters(), { lr, ...wd, ...only });
  return new SGD(model.namedParameters(), { lr, momentum: 0.9, ...wd, ...only });
}

/**
 * A `saveCheckpoint` for `fit()`: writes the model (and the optimizer's state) with
 * `saveModel`, which writes atomically, adding the epoch counter to the metadata, and the
 * fields `extra()` returns at the time of writing (train: the best val_accuracy so far).
 */
export function checkpointSaver(
  model: Module,
  meta: Omit<CheckpointMeta, 'epoch'>,
  optimizer?: Optimizer,
  extra: () => Record<string, unknown> = () => ({}),
): (path: string, info: { epoch: number; logs: Logs }) => Promise<void> {
  return async (path, info) => {
    const metadata: Record<string, unknown> = { ...meta, ...extra(), epoch: info.epoch + 1 };
    const va = info.logs['val_accuracy'];
    if (Number.isFinite(va)) metadata['valAccuracy'] = va; // NaN would be stored as null
    // the epoch's logs: a run killed before its history files were written gets the row back on --resume
    metadata['logs'] = Object.fromEntries(Object.entries(info.logs).filter(([, v]) => typeof v === 'number'));
    await saveModel(model, path, { metadata, optimizer });
  };
}

/** Loads a checkpoint and checks its metadata (starting the device if needed). */
export async function loadCheckpoint(path: string, ctx: { io?: CliIO; autotune?: boolean } = {}): Promise<{ model: TrainableModel; meta: CheckpointMeta }> {
  if (!existsSync(path)) throw new UsageError(`${quotePath(path)}: no such model file`);
  const why = notRegularFile(path);
  if (why) throw new UsageError(`${quotePath(path)}: ${why}; not read`);
  await ensureDevice(ctx);
  const { loaded, meta } = await loadCheckedModel(path);
  return { model: loaded.model as unknown as TrainableModel, meta };
}
