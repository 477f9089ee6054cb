// SPDX-License-Identifier: MIT
// Reading and writing safetensors files from Node. The format itself lives in
// src/io/safetensors.ts (browser-safe); this file only adds the file system.
// Writes are atomic (src/node/atomic.ts): the bytes go to a temporary file in the same
// directory, which is fsynced and then renamed over the target, so a crash never leaves a
// half-written weights file.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

import {
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  type STTensor,
  type STTensorInput,
} from '../io/safetensors.js';
import { writeFileAtomic } from './atomic.js';
import { errnoText } from './out-folder.js';
import { quotePath } from './quote.js';
import { NotRegularFileError, readRegularFile } from './read-file.js';

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
    throw new SafetensorsError(`${quotePath(path)}: cannot read the weights file: ${why}`);
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
    // a failure while running (exit status 1), not a bad input file
    throw new Error(`${quotePath(path)}: cannot write the weights file: ${errnoText((err as Error).cause ?? err)}`, { cause: err });
  }
}

/**
 * The `__metadata__` of a safetensors file, read from its header alone (not the tensors), so
 * that a checkpoint's metadata can be checked before the model is built. Returns {} when the
 * header cannot be read; the full load then reports the structural problem with its detail.
 */
export async function readSafetensorsMetadata(path: string): Promise<Record<string, string>> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    if (!(await fh.stat()).isFile()) return {};
    const head = Buffer.alloc(8);
    if ((await fh.read(head, 0, 8, 0)).bytesRead < 8) return {};
    const length = head.readUInt32LE(0) + head.readUInt32LE(4) * 2 ** 32;
    if (length > MAX_HEADER_BYTES) return {};
    const json = Buffer.alloc(length);
    if ((await fh.read(json, 0, length, 8)).bytesRead < length) return {};
    const header = JSON.parse(json.toString('utf8')) as { __metadata__?: unknown };
    const meta = header?.__metadata__;
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return {};
    return Object.fromEntries(Object.entries(meta).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  } catch {
    return {};
  } finally {
    await fh?.close();
  }
}

/** Headers are small (names, shapes, offsets, metadata); anything larger is left to the full parse. */
const MAX_HEADER_BYTES = 64 * 2 ** 20;
