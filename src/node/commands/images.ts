// SPDX-License-Identifier: MIT
// Image folders as the commands take them: one subfolder per class, checked before any work.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareCodePoints } from '../../data/order.js';
import { quotePath } from '../quote.js';
import { notRegularFile } from '../read-file.js';
import { UsageError } from './common.js';

export const IMAGE_EXTENSIONS = /\.(jpe?g|png)$/i;

/** Class subfolders of an image folder (sorted by code points, as Python's sorted(); hidden ones skipped); checks it is usable for training. */
export function checkImageFolder(dir: string, flag: string, minClasses = 2): string[] {
  if (!existsSync(dir)) throw new UsageError(`${flag} ${quotePath(dir)}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${quotePath(dir)}: not a folder`);
  const classes = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(compareCodePoints);
  if (classes.length < minClasses) {
    throw new UsageError(
      `${flag} ${quotePath(dir)}: found ${classes.length} class folder(s)${classes.length ? ` (${classes.map(quotePath).join(', ')})` : ''}; ` +
        `a classifier needs at least ${minClasses}, one subfolder per class (e.g. ${quotePath(join(dir, 'cats'))}, ${quotePath(join(dir, 'dogs'))})`,
    );
  }
  const empty = classes.filter((c) => !hasImage(join(dir, c)));
  if (empty.length) throw new UsageError(`${flag} ${quotePath(dir)}: no .jpg/.jpeg/.png images in ${empty.map(quotePath).join(', ')}`);
  return classes;
}

function hasImage(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (IMAGE_EXTENSIONS.test(e.name) && (e.isFile() || (e.isSymbolicLink() && notRegularFile(join(dir, e.name)) === null))) return true;
    if (e.isDirectory() && !e.name.startsWith('.') && hasImage(join(dir, e.name))) return true;
  }
  return false;
}

/**
 * The image files under `dir` (recursively, sorted, hidden entries skipped). Only regular files
 * (or links to one): anything else named like an image (a FIFO, a socket) is reported through
 * `warn` and left out, never opened.
 */
export function listImages(dir: string, warn: (message: string) => void): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareCodePoints(a.name, b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listImages(p, warn));
    else if (IMAGE_EXTENSIONS.test(e.name)) {
      const why = e.isFile() ? null : notRegularFile(p);
      if (why === null) out.push(p);
      else warn(`skipping ${quotePath(p)}: ${why}`);
    }
  }
  return out;
}
