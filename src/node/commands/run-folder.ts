// SPDX-License-Identifier: MIT
// The run folder of `alexnet train` (--out): history.json written after every epoch (so a run
// killed at any point can be resumed knowing its best epoch), the best value a resumed run
// starts from, history.csv cut back to the resumed epoch, stale temporary files of killed runs
// removed, and a summary that names only the files that exist.

import { readdirSync, realpathSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { alive } from '../out-folder.js';
import { quotePath } from '../quote.js';
import { notRegularFile, readRegularFile } from '../read-file.js';
import { readSafetensorsMetadata } from '../weights-file.js';
import { metadataFields } from '../../io/checkpoint-meta.js';
import { Callback, type Logs } from '../../train/callbacks.js';
import { History, type HistoryJSON } from '../../train/history.js';
import type { CheckpointMeta } from './checkpoint.js';
import { UsageError } from './common.js';

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

/** One epoch's logs as a checkpoint carries them (`logs` metadata): finite numbers only; undefined when absent or malformed. */
export function checkpointLogs(value: unknown): Logs | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const logs: Logs = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'number' && Number.isFinite(v)) logs[k] = v;
    else if (v !== null) return undefined;
  }
  return Object.keys(logs).length ? logs : undefined;
}

/**
 * The history a run resumed at `upTo` (epochs completed) continues: epochs before it from
 * history.json, any it lacks from history.csv, and the last completed epoch from the logs the
 * resumed checkpoint carries, so a run killed between its checkpoint and history writes loses no
 * row. Epochs in order; undefined when there is nothing.
 */
export async function resumedHistory(jsonPath: string, csvPath: string, upTo: number, lastLogs?: Logs): Promise<History | undefined> {
  const rows = new Map<number, Logs>();
  const add = (h: History | undefined) =>
    h?.epoch.forEach((e, i) => {
      if (e < upTo && !rows.has(e)) rows.set(e, Object.fromEntries(Object.entries(h.history).map(([k, v]) => [k, v[i]!])));
    });
  add(await readHistory(jsonPath, upTo));
  add(await readCsvHistory(csvPath, upTo));
  if (lastLogs && upTo > 0 && !rows.has(upTo - 1)) rows.set(upTo - 1, lastLogs);
  if (rows.size === 0) return undefined;
  const h = new History();
  for (const e of [...rows.keys()].sort((a, b) => a - b)) h.record(e, rows.get(e)!);
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
 * Where a resumed run's best val_accuracy stands. When the folder's best.safetensors says (its
 * `valAccuracy` and `epoch`), that: the file is what a later epoch must beat, and what the
 * summary reports. Otherwise the larger of the history's and the one the resumed checkpoint
 * carries (written with every checkpoint, so it survives a lost history.json).
 */
export function resumedBest(
  previous: History | undefined,
  meta: Pick<CheckpointMeta, 'bestValAccuracy' | 'bestEpoch'>,
  bestFile?: { value: number; epoch: number },
): { value: number; epoch: number } | undefined {
  if (bestFile) return bestFile;
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

/** The files of `files` that exist, are not empty and (with `since`, a time in ms) were written since then. */
export function writtenFiles(files: readonly string[], since = -Infinity): string[] {
  return files.filter((f) => {
    try {
      const st = statSync(f);
      return st.size > 0 && st.mtimeMs >= since;
    } catch {
      return false;
    }
  });
}

/** "Wrote a, b, c to DIR" for the files written (since `since`), or a line saying that none was. */
export function wroteLine(files: readonly string[], dir: string, since = -Infinity): string {
  const written = writtenFiles(files, since).map((f) => basename(f));
  return written.length ? `Wrote ${written.join(', ')} to ${quotePath(dir)}` : `No file was written to ${quotePath(dir)}`;
}

/** What a checkpoint file's header says about its model, for comparing a run folder's files. */
async function modelOf(path: string): Promise<{ preset: string; width: number; inputSize: number; classes: string; epoch?: number; valAccuracy?: number } | undefined> {
  if (notRegularFile(path) !== null) return undefined;
  const f = metadataFields(await readSafetensorsMetadata(path));
  const config = (typeof f['model_config'] === 'object' && f['model_config'] !== null ? f['model_config'] : {}) as Record<string, unknown>;
  const preset = config['preset'] ?? f['preset'];
  if (typeof preset !== 'string') return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    preset,
    width: num(config['width']) ?? num(f['width']) ?? 1,
    inputSize: num(config['inputSize']) ?? num(f['inputSize']) ?? 0,
    classes: Array.isArray(f['classNames']) ? (f['classNames'] as unknown[]).join(', ') : '',
    epoch: num(f['epoch']),
    valAccuracy: num(f['valAccuracy']),
  };
}

function describe(m: { preset: string; width: number; inputSize: number; classes: string }): string {
  return `a '${m.preset}' model (width ${m.width}, input ${m.inputSize}, classes ${m.classes})`;
}

/**
 * Before a resumed run writes into `out`: the folder's best and last checkpoints (other than the
 * one resumed) must be of the resumed checkpoint's model, or the folder would mix two runs' files
 * (a UsageError naming both). Returns what the folder's best.safetensors holds (its val_accuracy
 * and 0-based epoch), the best a resumed run must beat.
 */
export async function checkRunFolder(out: string, resume: string, meta: CheckpointMeta): Promise<{ value: number; epoch: number } | undefined> {
  const mine = { preset: meta.preset, width: meta.width ?? 1, inputSize: meta.inputSize, classes: meta.classNames.join(', ') };
  let best: { value: number; epoch: number } | undefined;
  const resumed = realpathSync(resume);
  for (const name of ['best.safetensors', 'last.safetensors']) {
    const path = join(out, name);
    let other;
    try {
      if (realpathSync(path) === resumed) continue;
      other = await modelOf(path);
    } catch {
      continue; // no such file
    }
    if (!other) continue;
    if (other.preset !== mine.preset || other.width !== mine.width || other.inputSize !== mine.inputSize || other.classes !== mine.classes) {
      throw new UsageError(
        `--resume ${quotePath(resume)} is ${describe(mine)}, but ${quotePath(path)} is ${describe(other)}: ` +
          'a run folder holds one run; resume into the folder the checkpoint came from, or give a new --out',
      );
    }
    if (name === 'best.safetensors' && other.valAccuracy !== undefined && other.epoch !== undefined) best = { value: other.valAccuracy, epoch: other.epoch - 1 };
  }
  return best;
}
