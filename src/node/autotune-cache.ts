// SPDX-License-Identifier: MIT
// Autotuning, the table on disk (the table itself: src/tensor/autotune-table.ts): a small JSON file, by default in the user's cache folder
// ($XDG_CACHE_HOME or ~/.cache, then webgpu-alexnet/autotune.json; WEBGPU_ALEXNET_AUTOTUNE_CACHE
// names another). `alexnet tune` writes it (atomically, merged with the entries of other
// adapters); the CLI's commands load it unless --no-autotune or WEBGPU_ALEXNET_AUTOTUNE=0.
// Library users call loadTuneCache() themselves: nothing is read implicitly.

import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import { emptyTuneCache, setTuneCache, validateTuneCache, type TuneCache, type TuneEntry } from '../tensor/autotune-table.js';
import { writeFileAtomic } from './atomic.js';

export function defaultTuneCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WEBGPU_ALEXNET_AUTOTUNE_CACHE) return env.WEBGPU_ALEXNET_AUTOTUNE_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'webgpu-alexnet', 'autotune.json');
}

/** Whether the environment turns autotuned choices off (WEBGPU_ALEXNET_AUTOTUNE=0|off|false). */
export function autotuneDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(0|off|false|no)$/i.test(env.WEBGPU_ALEXNET_AUTOTUNE ?? '');
}

/** Reads and checks a cache file (null when there is none); errors name the file and the problem. */
export function readTuneCache(path = defaultTuneCachePath()): TuneCache | null {
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not a readable JSON autotune cache (${(e as Error).message})`);
  }
  return validateTuneCache(parsed, path);
}

/**
 * Installs the file's table for the selectors; returns how many entries it has for `adapter`
 * (when given) or in all, or null when there is no file.
 */
export function loadTuneCache(path = defaultTuneCachePath(), adapter?: string): number | null {
  const c = readTuneCache(path);
  setTuneCache(c);
  if (!c) return null;
  return adapter !== undefined ? Object.keys(c.adapters[adapter] ?? {}).length : Object.values(c.adapters).reduce((n, e) => n + Object.keys(e).length, 0);
}

/** Merges entries for one adapter into the file (written atomically) and returns the table. */
export async function saveTuneEntries(adapter: string, entries: Record<string, TuneEntry>, path = defaultTuneCachePath()): Promise<TuneCache> {
  const c = readTuneCache(path) ?? emptyTuneCache();
  c.adapters[adapter] = { ...(c.adapters[adapter] ?? {}), ...entries };
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(c, null, 1) + '\n');
  return c;
}
