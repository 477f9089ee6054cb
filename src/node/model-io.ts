// SPDX-License-Identifier: MIT
// Saving and loading models as safetensors files (Node). The file's layout and the metadata
// (preset, class names, model config, optimizer state) are the core's: src/io/checkpoint.ts,
// shared with the browser edge, so a file written here loads in a page and the other way round.
// This file only adds the file system; writes are atomic (src/node/atomic.ts).

import { checkpointBytes, loadWeightsFromBytes, modelFromCheckpoint, type LoadedModel, type SaveOptions } from '../io/checkpoint.js';
import { SafetensorsError } from '../io/safetensors.js';
import type { Module } from '../layers/module.js';
import { writeFileAtomic } from './atomic.js';
import { errnoText } from './out-folder.js';
import { quotePath } from './quote.js';
import { NotRegularFileError, readRegularFile } from './read-file.js';

export type { LoadedModel, ModelMetadata, SaveOptions } from '../io/checkpoint.js';

/**
 * Writes the model's state (and optionally an optimizer's) to `path`, atomically: when the write
 * fails (a full disk) the previous file is left as it was, and the Error (a failure while
 * running, exit status 1: not a SafetensorsError, which says an input file is bad) names the file.
 */
export async function saveModel(model: Module, path: string, opts: SaveOptions = {}): Promise<void> {
  const bytes = await checkpointBytes(model, opts);
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    throw new Error(`${quotePath(path)}: cannot write the weights file: ${errnoText((err as Error).cause ?? err)}; the previous file, if any, is unchanged`, { cause: err });
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
    throw new SafetensorsError(`${quotePath(path)}: cannot read the weights file: ${why}`);
  }
}
