// SPDX-License-Identifier: MIT
// Saving and loading models as safetensors files (Node). The file's layout and the metadata
// (preset, class names, model config, optimizer state) are the core's: src/io/checkpoint.ts,
// shared with the browser edge, so a file written here loads in a page and the other way round.
// This file only adds the file system; writes are atomic (src/node/atomic.ts).

import { checkpointBytes, loadWeightsFromBytes, modelFromCheckpoint, type LoadedModel, type SaveOptions } from '../io/checkpoint.js';
import { SafetensorsError } from '../io/safetensors.js';
import type { Module } from '../layers/module.js';
import { writeFileAtomic } from './atomic.js';
import { NotRegularFileError, readRegularFile } from './read-file.js';

export type { LoadedModel, ModelMetadata, SaveOptions } from '../io/checkpoint.js';

/** Writes the model's state (and optionally an optimizer's) to `path`, atomically. */
export async function saveModel(model: Module, path: string, opts: SaveOptions = {}): Promise<void> {
  const bytes = await checkpointBytes(model, opts);
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    throw new SafetensorsError(`${path}: cannot write the weights file: ${(err as Error).message}`);
  }
}

/** Rebuilds the model described by the file's metadata and loads its weights. */
export async function loadModel(path: string): Promise<LoadedModel> {
  return modelFromCheckpoint(await readBytes(path), path);
}

/** Loads a weights file (ours or PyTorch's) into an existing model; checks everything first. */
export async function loadWeights(model: Module, path: string, opts: { strict?: boolean } = {}): Promise<void> {
  loadWeightsFromBytes(model, await readBytes(path), path, opts);
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : err instanceof NotRegularFileError ? `not a regular file (${err.kind})` : (err as Error).message;
    throw new SafetensorsError(`${path}: cannot read the weights file: ${why}`);
  }
}
