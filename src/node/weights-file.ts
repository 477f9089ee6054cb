// SPDX-License-Identifier: MIT
// Reading and writing safetensors files from Node. The format itself lives in
// src/io/safetensors.ts (browser-safe); this file only adds the file system.
// Writes are atomic (src/node/atomic.ts): the bytes go to a temporary file in the same
// directory, which is fsynced and then renamed over the target, so a crash never leaves a
// half-written weights file.

import { NotRegularFileError, readRegularFile } from './read-file.js';

import {
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  type STTensor,
  type STTensorInput,
} from '../io/safetensors.js';
import { writeFileAtomic } from './atomic.js';

/** Reads and parses a safetensors file; every error names the file. */
export async function readSafetensorsFile(
  path: string,
): Promise<{ tensors: Map<string, STTensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : err instanceof NotRegularFileError ? `not a regular file (${err.kind})` : (err as Error).message;
    throw new SafetensorsError(`${path}: cannot read the weights file: ${why}`);
  }
  return parseSafetensors(bytes, path);
}

/** Serializes tensors and metadata and writes them to `path` atomically. */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, STTensorInput>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata);
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    throw new SafetensorsError(`${path}: cannot write the weights file: ${(err as Error).message}`);
  }
}
