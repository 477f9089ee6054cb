// SPDX-License-Identifier: MIT
// Reading and writing safetensors files from Node. The format itself lives in
// src/io/safetensors.ts (browser-safe); this file only adds the file system.
// Writes are atomic: the bytes go to a temporary file in the same directory, which is fsynced
// and then renamed over the target, so a crash never leaves a half-written weights file.

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import {
  parseSafetensors,
  SafetensorsError,
  serializeSafetensors,
  type STTensor,
  type STTensorInput,
} from '../io/safetensors.js';

/** Reads and parses a safetensors file; every error names the file. */
export async function readSafetensorsFile(
  path: string,
): Promise<{ tensors: Map<string, STTensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (err as Error).message;
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

/** Writes `data` to a temporary file next to `path`, fsyncs it, then renames it over `path`. */
async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  await syncDirectory(directory);
}

/** Makes the rename durable by fsyncing the directory; platforms that cannot open a directory skip it. */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // Windows and some file systems refuse fsync on a directory; the rename itself is done.
  } finally {
    await handle.close();
  }
}
