// SPDX-License-Identifier: MIT
// Crash-safe file replacement: readers see either the old file or the complete new one,
// never a truncated mix, even if the process dies half-way through the write.

import { randomBytes } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Data to write: bytes, text (UTF-8), or chunks produced on the fly (e.g. tensor by tensor). */
export type AtomicData = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Writes `data` to a temporary file `.name.tmp-<pid>-<random>` in the target's directory (so
 * the rename never crosses file systems), fsyncs it, renames it over `path`, then fsyncs the
 * directory so that the rename itself survives a power loss. On error the temporary file is
 * removed, `path` is left untouched, and the Error names the file.
 */
export async function writeFileAtomic(path: string, data: AtomicData): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await writeFile(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw new Error(`writeFileAtomic: cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  await syncDirectory(directory);
}

/** Best effort: some platforms (Windows) and file systems cannot open or fsync a directory. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data is already renamed into place; only its durability across power loss is weaker.
  }
}
