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
import type { TrainableModel } from '../../train/fit.js';
import { loadModel, saveModel } from '../model-io.js';
import { notRegularFile } from '../read-file.js';
import { ensureDevice, UsageError, type CliIO, type OptimizerName, type Preset } from './common.js';

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
  bestValAccuracy?: number;
  monitorValue?: number;
}

export const DEFAULT_PREPROCESSING: Preprocessing = { rescale: 1 / 255, resizeMode: 'stretch' };

/** Reads the metadata fields (stored as strings or JSON by model-io) into typed values. */
export function readMeta(raw: Record<string, unknown>, source: string): CheckpointMeta {
  const get = (k: string): unknown => {
    const v = raw[k];
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  };
  const preset = get('preset');
  const classNames = get('classNames');
  const inputSize = Number(get('inputSize'));
  if (typeof preset !== 'string' || !Array.isArray(classNames) || !Number.isFinite(inputSize)) {
    throw new Error(`${source}: the checkpoint's metadata lacks preset, classNames or inputSize`);
  }
  const num = (k: string): number | undefined => {
    const v = get(k);
    return v === undefined || v === null || v === '' ? undefined : Number(v);
  };
  const pre = get('preprocessing') as Partial<Preprocessing> | undefined;
  return {
    preset: preset as Preset,
    classNames: classNames.map(String),
    inputSize,
    preprocessing: { ...DEFAULT_PREPROCESSING, ...(typeof pre === 'object' && pre ? pre : {}) },
    width: num('width'),
    epoch: num('epoch'),
    optimizer: typeof get('optimizer') === 'string' ? (get('optimizer') as string) : undefined,
    seed: num('seed'),
    bestValAccuracy: num('bestValAccuracy'),
  };
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
 * `saveModel`, which writes atomically, adding the epoch counter to the metadata.
 */
export function checkpointSaver(
  model: Module,
  meta: Omit<CheckpointMeta, 'epoch'>,
  optimizer?: Optimizer,
): (path: string, info: { epoch: number; logs: Logs }) => Promise<void> {
  return async (path, info) => {
    const metadata: Record<string, unknown> = { ...meta, epoch: info.epoch + 1 };
    const va = info.logs['val_accuracy'];
    if (va !== undefined) metadata['valAccuracy'] = va;
    await saveModel(model, path, { metadata, optimizer });
  };
}

/** Loads a checkpoint and checks its metadata (starting the device if needed). */
export async function loadCheckpoint(path: string, ctx: { io?: CliIO; autotune?: boolean } = {}): Promise<{ model: TrainableModel; meta: CheckpointMeta }> {
  if (!existsSync(path)) throw new UsageError(`${path}: no such model file`);
  const why = notRegularFile(path);
  if (why) throw new UsageError(`${path}: ${why}; not read`);
  await ensureDevice(ctx);
  const loaded = await loadModel(path);
  return { model: loaded.model as unknown as TrainableModel, meta: readMeta(loaded.metadata as Record<string, unknown>, path) };
}
