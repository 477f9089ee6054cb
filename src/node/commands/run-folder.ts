// SPDX-License-Identifier: MIT
// The run folder of `alexnet train` (--out): history.json written after every epoch (so a run
// killed at any point can be resumed knowing its best epoch), the best value a resumed run
// starts from, history.csv cut back to the resumed epoch, stale temporary files of killed runs
// removed, and a summary that names only the files that exist.

import { readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { readRegularFile } from '../read-file.js';
import { Callback, type Logs } from '../../train/callbacks.js';
import { History, type HistoryJSON } from '../../train/history.js';
import type { CheckpointMeta } from './checkpoint.js';

/** The epochs before `upTo` of a history.json, or undefined when there is none (or it is unreadable). */
export async function readHistory(path: string, upTo: number): Promise<History | undefined> {
  let json: HistoryJSON;
  try {
    json = JSON.parse((await readRegularFile(path)).toString('utf8')) as HistoryJSON;
    if (!Array.isArray(json?.epoch) || typeof json.history !== 'object' || json.history === null) return undefined;
  } catch {
    return undefined;
  }
  const h = History.fromJSON(json);
  const keep = h.epoch.findIndex((e) => e >= upTo);
  if (keep >= 0) {
    h.epoch = h.epoch.slice(0, keep);
    for (const k of Object.keys(h.history)) h.history[k] = h.history[k]!.slice(0, keep);
  }
  return h;
}

/**
 * The epochs before `upTo` from a history.csv (CSVLogger's columns: epoch, then the metrics; `NA`
 * for a missing value), for a resumed run whose history.json is lost. Undefined when unreadable.
 */
export async function readCsvHistory(path: string, upTo: number, separator = ','): Promise<History | undefined> {
  let lines: string[];
  try {
    lines = (await readRegularFile(path)).toString('utf8').split('\n').filter((l) => l.trim() !== '');
  } catch {
    return undefined;
  }
  const header = lines.shift()?.split(separator);
  if (!header || header[0] !== 'epoch') return undefined;
  const h = new History();
  for (const line of lines) {
    const cells = line.split(separator);
    const epoch = Number(cells[0]);
    if (cells.length !== header.length || !Number.isInteger(epoch) || epoch < 0) return undefined;
    if (epoch >= upTo) continue;
    const logs: Record<string, number> = {};
    header.slice(1).forEach((name, i) => (logs[name] = cells[i + 1] === 'NA' ? NaN : Number(cells[i + 1])));
    h.record(epoch, logs);
  }
  return h;
}

/** The best value of `metric` (largest) in a history, with its 0-based epoch; undefined when none is finite. */
export function bestOf(h: History | undefined, metric = 'val_accuracy'): { value: number; epoch: number } | undefined {
  const values = h?.history[metric] ?? [];
  let best: { value: number; epoch: number } | undefined;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && (best === undefined || v > best.value)) best = { value: v, epoch: h!.epoch[i]! };
  });
  return best;
}

/**
 * Where a resumed run's best val_accuracy stands: the larger of the history's and the one the
 * checkpoint carries (written with every checkpoint, so it survives a lost history.json).
 */
export function resumedBest(previous: History | undefined, meta: Pick<CheckpointMeta, 'bestValAccuracy' | 'bestEpoch'>): { value: number; epoch: number } | undefined {
  const fromHistory = bestOf(previous);
  const fromMeta = meta.bestValAccuracy !== undefined ? { value: meta.bestValAccuracy, epoch: meta.bestEpoch ?? -1 } : undefined;
  if (!fromMeta) return fromHistory;
  if (!fromHistory) return fromMeta;
  return fromMeta.value > fromHistory.value ? fromMeta : fromHistory;
}

/**
 * Keeps the run's whole history (a resumed run's earlier epochs first) and writes it to
 * history.json, atomically, at the end of every epoch.
 */
export class HistoryFile extends Callback {
  readonly history: History;

  constructor(
    readonly path: string,
    previous?: History,
  ) {
    super();
    this.history = previous ?? new History();
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    this.history.record(epoch, logs);
    await writeFileAtomic(this.path, JSON.stringify(this.history.toJSON(), null, 2) + '\n');
  }
}

/** A resumed run's history.csv: the earlier epochs only (rows after the resumed epoch would repeat). */
export async function rewriteCsv(path: string, previous: History): Promise<void> {
  await writeFileAtomic(path, previous.epoch.length ? previous.toCSV() : '');
}

/** `.name.tmp-<pid>-<hex>`, the temporary name of writeFileAtomic. */
const TEMPORARY = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary files that killed runs left in `dir` (those of a live process are kept). Returns their names. */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => {
    const m = TEMPORARY.exec(n);
    return m !== null && !alive(Number(m[1]));
  });
  for (const n of stale) await rm(join(dir, n), { force: true });
  return stale;
}

/** The files of `files` that exist and are not empty. */
export function writtenFiles(files: readonly string[]): string[] {
  return files.filter((f) => {
    try {
      return statSync(f).size > 0;
    } catch {
      return false;
    }
  });
}

/** "Wrote a, b, c to DIR" for the files that exist (and are not empty), or a line saying that none was written. */
export function wroteLine(files: readonly string[], dir: string): string {
  const written = writtenFiles(files).map((f) => basename(f));
  return written.length ? `Wrote ${written.join(', ')} to ${dir}` : `No file was written to ${dir}`;
}
