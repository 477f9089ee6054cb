// SPDX-License-Identifier: MIT
// The `alexnet` command line: train, predict, evaluate, summary, bench, demo. Arguments are
// parsed by hand with node:util's parseArgs; every command is reachable in-process through
// `main(argv, io)`, which returns the exit status (the bin sets process.exitCode from it).
// Exit status: 0 success, 1 failure while running, 2 bad arguments or inputs.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

import { Adam } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import { CSVLogger } from './csv-logger.js';
import { decodeImage, imageDataset, imageToChw, type AugmentOptions, type ImageDataset } from './data/index.js';
import { destroyDevice, initDevice } from './device.js';
import { writeFileAtomic } from './atomic.js';
import { autotuneDisabled, defaultTuneCachePath, loadTuneCache, readTuneCache, saveTuneEntries } from './autotune.js';
import { loadModel, saveModel } from './model-io.js';
import { writeHistoryPlots } from './plot.js';
import { alexnet, type AlexNet } from '../models/alexnet.js';
import { summary } from '../layers/summary.js';
import { EarlyStopping, ModelCheckpoint, type Callback, type Logs } from '../train/callbacks.js';
import { compile, evaluate, fit, predict, type TrainableModel } from '../train/fit.js';
import { History, type HistoryJSON } from '../train/history.js';
import { formatFixed } from '../train/progress.js';
import type { Device } from '../tensor/index.js';
import type { Module } from '../layers/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';

/** Where the CLI writes. `main()` defaults to the process's streams. */
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

/** Bad arguments or inputs: printed with the usage hint, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const PRESETS = ['paper', 'keras-bn', 'torchvision'] as const;
export type Preset = (typeof PRESETS)[number];

/** The input size each preset is usually trained at. */
export const DEFAULT_INPUT_SIZE: Record<Preset, number> = { paper: 227, 'keras-bn': 227, torchvision: 224 };

/** Keras' cats-vs-dogs tutorial augmentation (shear in degrees, as Keras). */
export const TUTORIAL_AUGMENT: AugmentOptions = {
  rotationRange: 40,
  widthShiftRange: 0.2,
  heightShiftRange: 0.2,
  shearRange: 0.2,
  zoomRange: 0.2,
  horizontalFlip: true,
};

export const USAGE = `Usage: alexnet <command> [options]

Commands:
  train     --data DIR [--val DIR | --validation-split F] [--model paper|keras-bn|torchvision]
            [--input-size N] [--epochs N] [--batch-size N] [--optimizer sgd|adam] [--lr X]
            [--augment] [--seed N] [--patience N] [--out DIR] [--resume FILE] [--width F]
            [--workers N] [--verbose 0|1|2]
  predict   MODEL IMAGE... [--json]
  evaluate  MODEL DIR [--batch-size N] [--json]
  summary   [--model PRESET] [--input-size N] [--classes N] [--width F]
  bench     [kernel...]
  profile   [--model PRESET] [--input-size N] [--width F] [--batch-size N] [--classes N]
            [--optimizer sgd|adam] [--steps N] [--json]
  tune      [--model PRESET] [--input-size N] [--width F] [--batch-size N] [--classes N]
            [--runs N] [--cache FILE] [--dry-run] [--show] [--json]
  demo      [--out DIR] [--epochs N] [--seed N]
  help      [command]

Every command that runs kernels uses the autotune cache written by 'tune' when there is one
(--no-autotune or WEBGPU_ALEXNET_AUTOTUNE=0: the fixed rules only).

See docs/cli.md for every option.
`;

function defaultIO(): CliIO {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Runs one command line (without `node` and the script: `['train', '--data', 'x']`). */
export async function main(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  const [command, ...rest0] = argv;
  // a global option: any command may take it
  useAutotune = !rest0.includes('--no-autotune');
  const rest = rest0.filter((a) => a !== '--no-autotune');
  cliIO = io;
  try {
    switch (command) {
      case 'train':
        return await trainCommand(rest, io);
      case 'predict':
        return await predictCommand(rest, io);
      case 'evaluate':
        return await evaluateCommand(rest, io);
      case 'summary':
        return await summaryCommand(rest, io);
      case 'bench':
        return await benchCommand(rest, io);
      case 'profile':
        return await profileCommand(rest, io);
      case 'tune':
        return await tuneCommand(rest, io);
      case 'demo': {
        const { demoCommand } = await import('./demo.js');
        return await demoCommand(rest, io);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      io.stderr(`alexnet${command && !command.startsWith('-') ? ' ' + command : ''}: ${(err as Error).message}\nRun 'alexnet help' for usage.\n`);
      return 2;
    }
    io.stderr(`alexnet: error: ${(err as Error).message}\n`);
    return 1;
  } finally {
    destroyDevice();
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

// ---- argument helpers ------------------------------------------------------------------------

export function parseInteger(name: string, value: string | undefined, min: number, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${value}'`);
  }
  return n;
}

export function parseNumber(name: string, value: string | undefined, check: (x: number) => boolean, what: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got '${value}'`);
  return n;
}

function parsePreset(value: string | undefined, fallback: Preset): Preset {
  if (value === undefined) return fallback;
  if (!(PRESETS as readonly string[]).includes(value)) {
    throw new UsageError(`--model must be one of ${PRESETS.join(', ')}, got '${value}'`);
  }
  return value as Preset;
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png)$/i;

/** Class subfolders of an image folder (sorted, hidden ones skipped); checks it is usable for training. */
export function checkImageFolder(dir: string, flag: string, minClasses = 2): string[] {
  if (!existsSync(dir)) throw new UsageError(`${flag} ${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir}: not a folder`);
  const classes = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classes.length < minClasses) {
    throw new UsageError(
      `${flag} ${dir}: found ${classes.length} class folder(s)${classes.length ? ` (${classes.join(', ')})` : ''}; ` +
        `a classifier needs at least ${minClasses}, one subfolder per class (e.g. ${dir}/cats, ${dir}/dogs)`,
    );
  }
  const empty = classes.filter((c) => !hasImage(join(dir, c)));
  if (empty.length) throw new UsageError(`${flag} ${dir}: no .jpg/.jpeg/.png images in ${empty.join(', ')}`);
  return classes;
}

function hasImage(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && IMAGE_EXTENSIONS.test(e.name)) return true;
    if (e.isDirectory() && !e.name.startsWith('.') && hasImage(join(dir, e.name))) return true;
  }
  return false;
}

function seconds(ms: number): string {
  return `${formatFixed(ms / 1000, 1)} s`;
}

// ---- model metadata ------------------------------------------------------------------------

/** What a checkpoint's metadata says about preprocessing; images are fed the same way at predict time. */
export interface Preprocessing {
  rescale: number;
  resizeMode: 'stretch' | 'center-crop';
}

export interface CheckpointMeta {
  preset: Preset;
  classNames: string[];
  inputSize: number;
  preprocessing: Preprocessing;
  width?: number;
  /** Epochs completed when the checkpoint was written (the epoch to resume at, 0-based). */
  epoch?: number;
  optimizer?: string;
  seed?: number;
  bestValAccuracy?: number;
  monitorValue?: number;
}

const DEFAULT_PREPROCESSING: Preprocessing = { rescale: 1 / 255, resizeMode: 'stretch' };

/** Reads the metadata fields (stored as strings or JSON by model-io) into typed values. */
export function readMeta(raw: Record<string, unknown>, source: string): CheckpointMeta {
  const get = (k: string): unknown => {
    const v = raw[k];
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  };
  const preset = get('preset');
  const classNames = get('classNames');
  const inputSize = Number(get('inputSize'));
  if (typeof preset !== 'string' || !Array.isArray(classNames) || !Number.isFinite(inputSize)) {
    throw new Error(`${source}: the checkpoint's metadata lacks preset, classNames or inputSize`);
  }
  const num = (k: string): number | undefined => {
    const v = get(k);
    return v === undefined || v === null || v === '' ? undefined : Number(v);
  };
  const pre = get('preprocessing') as Partial<Preprocessing> | undefined;
  return {
    preset: preset as Preset,
    classNames: classNames.map(String),
    inputSize,
    preprocessing: { ...DEFAULT_PREPROCESSING, ...(typeof pre === 'object' && pre ? pre : {}) },
    width: num('width'),
    epoch: num('epoch'),
    optimizer: typeof get('optimizer') === 'string' ? (get('optimizer') as string) : undefined,
    seed: num('seed'),
    bestValAccuracy: num('bestValAccuracy'),
  };
}

export interface BuildOptions {
  preset: Preset;
  numClasses: number;
  inputSize: number;
  seed: number;
  /** Channel-width multiplier (1 = the preset's channels). */
  width?: number;
}

/** The AlexNet for these options. */
export function buildModel(o: BuildOptions): AlexNet {
  return alexnet({ preset: o.preset, numClasses: o.numClasses, inputSize: o.inputSize, seed: o.seed, ...(o.width !== undefined && o.width !== 1 ? { width: o.width } : {}) });
}

export type OptimizerName = 'sgd' | 'adam';

export function makeOptimizer(name: OptimizerName, model: { namedParameters(): [string, import('../tensor/index.js').Tensor][] }, lr: number) {
  return name === 'adam' ? new Adam(model.namedParameters(), { lr }) : new SGD(model.namedParameters(), { lr, momentum: 0.9 });
}

/**
 * A `saveCheckpoint` for `fit()`: writes the model (and the optimizer's state) with
 * `saveModel`, which writes atomically, adding the epoch counter to the metadata.
 */
export function checkpointSaver(
  model: Module,
  meta: Omit<CheckpointMeta, 'epoch'>,
  optimizer?: Optimizer,
): (path: string, info: { epoch: number; logs: Logs }) => Promise<void> {
  return async (path, info) => {
    const metadata: Record<string, unknown> = { ...meta, epoch: info.epoch + 1 };
    const va = info.logs['val_accuracy'];
    if (va !== undefined) metadata['valAccuracy'] = va;
    await saveModel(model, path, { metadata, optimizer });
  };
}

// ---- train -----------------------------------------------------------------------------------

export interface TrainResult {
  history: History;
  bestPath: string;
  bestValAccuracy: number;
  seconds: number;
  files: string[];
}

const TRAIN_OPTIONS = {
  data: { type: 'string' },
  val: { type: 'string' },
  'validation-split': { type: 'string' },
  model: { type: 'string' },
  'input-size': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  augment: { type: 'boolean' },
  seed: { type: 'string' },
  patience: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  width: { type: 'string' },
  workers: { type: 'string' },
  verbose: { type: 'string' },
} as const;

async function trainCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: TRAIN_OPTIONS, allowPositionals: false, strict: true });
  if (values.data === undefined) throw new UsageError('--data DIR is required (a folder with one subfolder of images per class)');
  if (values.val !== undefined && values['validation-split'] !== undefined) {
    throw new UsageError('give either --val DIR or --validation-split F, not both');
  }
  const result = await train({
    data: values.data,
    val: values.val,
    validationSplit:
      values.val === undefined ? parseNumber('validation-split', values['validation-split'], (x) => x > 0 && x < 1, 'a fraction in (0, 1)', 0.2) : undefined,
    preset: parsePreset(values.model, 'keras-bn'),
    inputSize: values['input-size'] === undefined ? undefined : parseInteger('input-size', values['input-size'], 16),
    epochs: parseInteger('epochs', values.epochs, 1, 10),
    batchSize: parseInteger('batch-size', values['batch-size'], 1, 32),
    optimizer: parseOptimizer(values.optimizer),
    lr: values.lr === undefined ? undefined : parseNumber('lr', values.lr, (x) => x > 0, 'a positive number'),
    augment: values.augment ?? false,
    seed: parseInteger('seed', values.seed, 0, 42),
    patience: parseInteger('patience', values.patience, 1, 5),
    out: values.out ?? 'runs/alexnet',
    resume: values.resume,
    width: values.width === undefined ? undefined : parseNumber('width', values.width, (x) => x > 0 && x <= 4, 'a multiplier in (0, 4]'),
    workers: values.workers === undefined ? undefined : parseInteger('workers', values.workers, 0),
    verbose: parseVerbose(values.verbose),
    io,
  });
  return result.history instanceof History && (result.history as { stopReason?: string }).stopReason === 'nan' ? 1 : 0;
}

function parseVerbose(value: string | undefined): 0 | 1 | 2 {
  const v = parseInteger('verbose', value, 0, 1);
  if (v > 2) throw new UsageError(`--verbose must be 0, 1 or 2, got '${value}'`);
  return v as 0 | 1 | 2;
}

function parseOptimizer(value: string | undefined): OptimizerName {
  if (value === undefined) return 'sgd';
  if (value !== 'sgd' && value !== 'adam') throw new UsageError(`--optimizer must be sgd or adam, got '${value}'`);
  return value;
}

export interface TrainOptions {
  data: string;
  val?: string;
  validationSplit?: number;
  preset: Preset;
  inputSize?: number;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr?: number;
  augment: boolean;
  seed: number;
  patience: number;
  out: string;
  resume?: string;
  width?: number;
  workers?: number;
  verbose?: 0 | 1 | 2;
  io: CliIO;
  /** Messages from the image pipeline (skipped files). Default: io.stderr. */
  warn?: (message: string) => void;
}

/** `alexnet train`, callable from code (the demo uses it). Initialises the device if needed. */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const io = o.io;
  const started = Date.now();
  const trainClasses = checkImageFolder(o.data, '--data');
  if (o.val !== undefined) {
    const valClasses = checkImageFolder(o.val, '--val');
    if (valClasses.join('/') !== trainClasses.join('/')) {
      throw new UsageError(`--val ${o.val}: classes ${valClasses.join(', ')} differ from --data's ${trainClasses.join(', ')}`);
    }
  }
  if (o.resume !== undefined && !existsSync(o.resume)) throw new UsageError(`--resume ${o.resume}: no such file`);

  const device = await ensureDevice();
  const verbose = o.verbose ?? 1;
  if (verbose > 0) io.stdout(`Device: ${device.describe()}\n`);

  // Model: fresh, or from the checkpoint being resumed.
  let model: AlexNet;
  let meta: CheckpointMeta;
  let initialEpoch = 0;
  let resumedOptimizer: OptimizerState | undefined;
  if (o.resume !== undefined) {
    const loaded = await loadModel(o.resume);
    meta = readMeta(loaded.metadata as Record<string, unknown>, o.resume);
    if (meta.classNames.join('/') !== trainClasses.join('/')) {
      throw new UsageError(`--resume ${o.resume}: the checkpoint's classes ${meta.classNames.join(', ')} differ from the data's ${trainClasses.join(', ')}`);
    }
    if (o.inputSize !== undefined && o.inputSize !== meta.inputSize) {
      throw new UsageError(`--input-size ${o.inputSize} differs from the checkpoint's ${meta.inputSize}`);
    }
    model = loaded.model;
    initialEpoch = meta.epoch ?? 0;
    resumedOptimizer = loaded.optimizerState;
  } else {
    const inputSize = o.inputSize ?? DEFAULT_INPUT_SIZE[o.preset];
    meta = { preset: o.preset, classNames: trainClasses, inputSize, preprocessing: DEFAULT_PREPROCESSING, width: o.width, seed: o.seed };
    model = buildModel({ preset: o.preset, numClasses: trainClasses.length, inputSize, seed: o.seed, width: o.width });
  }
  const optimizerName = o.resume !== undefined && meta.optimizer ? (meta.optimizer as OptimizerName) : o.optimizer;
  const lr = o.lr ?? (optimizerName === 'adam' ? 1e-3 : 0.01);
  const optimizer = makeOptimizer(optimizerName, model, lr);
  if (resumedOptimizer !== undefined) {
    optimizer.loadStateDict(resumedOptimizer);
    if (o.lr !== undefined) optimizer.lr = o.lr;
  }
  meta = { ...meta, optimizer: optimizerName };
  compile(model, { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

  if (initialEpoch >= o.epochs) {
    throw new UsageError(`--resume ${o.resume}: the checkpoint already completed ${initialEpoch} epoch(s); ask for more with --epochs N (N > ${initialEpoch})`);
  }

  // Data.
  const size = meta.inputSize;
  const warn = o.warn ?? ((m: string) => io.stderr(m + '\n'));
  const common = {
    imageSize: [size, size] as const,
    rescale: meta.preprocessing.rescale,
    resizeMode: meta.preprocessing.resizeMode,
    seed: o.seed,
    workers: o.workers,
    warn,
  };
  const augment = o.augment ? TUTORIAL_AUGMENT : undefined;
  let trainSet: ImageDataset;
  let valSet: ImageDataset;
  if (o.val !== undefined) {
    trainSet = imageDataset(o.data, { ...common, augment });
    valSet = imageDataset(o.val, { ...common, shuffle: false });
  } else {
    const split = imageDataset(o.data, { ...common, augment, validationSplit: o.validationSplit ?? 0.2 });
    trainSet = split.train;
    valSet = split.validation;
    if (valSet.length === 0) throw new UsageError(`--validation-split ${o.validationSplit}: leaves no validation images`);
  }
  if (verbose > 0) {
    io.stdout(
      `Found ${trainSet.length} training and ${valSet.length} validation images in ${trainClasses.length} classes: ${trainClasses.join(', ')}\n` +
        `Model: AlexNet '${meta.preset}'${meta.width && meta.width !== 1 ? ` (width ×${meta.width})` : ''}, input ${size}x${size}, ` +
        `optimizer ${optimizerName} lr ${optimizer.lr}, batch ${o.batchSize}` +
        (initialEpoch > 0 ? `, resuming at epoch ${initialEpoch + 1}` : '') +
        '\n',
    );
  }

  // Outputs and callbacks.
  await mkdir(o.out, { recursive: true });
  const bestPath = join(o.out, 'best.safetensors');
  const lastPath = join(o.out, 'last.safetensors');
  const csvPath = join(o.out, 'history.csv');
  const jsonPath = join(o.out, 'history.json');
  const previous = initialEpoch > 0 ? await readHistory(jsonPath, initialEpoch) : undefined;
  const checkpoint = new ModelCheckpoint({ filepath: bestPath, monitor: 'val_accuracy', saveBestOnly: true, verbose: verbose > 0 ? 1 : 0 });
  const lastBest = previous ? Math.max(...(previous.history['val_accuracy'] ?? []).filter(Number.isFinite)) : -Infinity;
  if (Number.isFinite(lastBest)) checkpoint.best = lastBest;
  const callbacks: Callback[] = [
    checkpoint,
    new ModelCheckpoint({ filepath: lastPath, verbose: 0 }),
    new EarlyStopping({ monitor: 'val_loss', patience: o.patience, verbose: verbose > 0 ? 1 : 0 }),
    new CSVLogger({ filename: csvPath, append: initialEpoch > 0 }),
  ];
  const saveCheckpoint = checkpointSaver(model, meta, optimizer);
  const history = await fit(model, trainSet, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    validationData: valSet,
    callbacks,
    verbose,
    initialEpoch,
    seed: o.seed,
    write: io.stdout,
    isTTY: io.isTTY,
    saveCheckpoint,
  });

  // History (merged with the resumed run's), plots.
  const merged = previous ?? new History();
  history.epoch.forEach((epoch, i) => {
    const logs: Logs = {};
    for (const [k, v] of Object.entries(history.history)) logs[k] = v[i]!;
    merged.record(epoch, logs);
  });
  await writeFileAtomic(jsonPath, JSON.stringify(merged.toJSON(), null, 2) + '\n');
  const files = [bestPath, lastPath, jsonPath, csvPath];
  if (merged.epoch.length > 0) files.push(...(await writeHistoryPlots(merged, o.out)));
  const valAcc = (merged.history['val_accuracy'] ?? []).filter(Number.isFinite);
  const best = valAcc.length ? Math.max(...valAcc) : NaN;
  const elapsed = Date.now() - started;
  if (verbose > 0) {
    const skipped = trainSet.skipped.count + valSet.skipped.count;
    io.stdout(
      `\nBest val_accuracy ${formatFixed(best, 4)} (epoch ${valAcc.indexOf(best) + 1 + (merged.epoch[0] ?? 0)})` +
        `; trained in ${seconds(elapsed)}` +
        (skipped ? `; ${skipped} unreadable image load(s) skipped` : '') +
        `\nWrote ${files.map((f) => basename(f)).join(', ')} to ${o.out}\n`,
    );
  }
  return { history, bestPath, bestValAccuracy: best, seconds: elapsed / 1000, files };
}

async function readHistory(path: string, upTo: number): Promise<History | undefined> {
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as HistoryJSON;
    const h = History.fromJSON(json);
    // keep only the epochs before the resumed one
    const keep = h.epoch.findIndex((e) => e >= upTo);
    if (keep >= 0) {
      h.epoch = h.epoch.slice(0, keep);
      for (const k of Object.keys(h.history)) h.history[k] = h.history[k]!.slice(0, keep);
    }
    return h;
  } catch {
    return undefined;
  }
}

let useAutotune = true;
let cliIO: CliIO | null = null;

/**
 * The device; on first use also the autotune cache for it, unless --no-autotune or
 * WEBGPU_ALEXNET_AUTOTUNE=0 (a broken cache file is reported and ignored).
 */
async function ensureDevice(): Promise<Device> {
  const { hasDevice, getDevice, setTuneCache } = await import('../tensor/index.js');
  if (hasDevice()) return getDevice();
  const device = await initDevice();
  setTuneCache(null);
  if (useAutotune && !autotuneDisabled()) {
    const path = defaultTuneCachePath();
    try {
      const n = loadTuneCache(path, device.describe());
      if (n) cliIO?.stderr(`autotune: ${n} measured kernel choices for this adapter from ${path} (--no-autotune to skip)\n`);
    } catch (e) {
      cliIO?.stderr(`alexnet: warning: ignoring the autotune cache: ${(e as Error).message}\n`);
    }
  }
  return device;
}

// ---- predict / evaluate ------------------------------------------------------------------

/** Loads a checkpoint and checks its metadata. */
export async function loadCheckpoint(path: string): Promise<{ model: TrainableModel; meta: CheckpointMeta }> {
  if (!existsSync(path)) throw new UsageError(`${path}: no such model file`);
  await ensureDevice();
  const loaded = await loadModel(path);
  return { model: loaded.model as unknown as TrainableModel, meta: readMeta(loaded.metadata as Record<string, unknown>, path) };
}

export interface Prediction {
  file: string;
  class: string;
  probability: number;
  probabilities: Record<string, number>;
}

/** Top class and probabilities for each image file. */
export async function predictFiles(model: TrainableModel, meta: CheckpointMeta, files: readonly string[]): Promise<Prediction[]> {
  const size = meta.inputSize;
  const x = new Float32Array(files.length * 3 * size * size);
  files.forEach((file, i) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new UsageError(`${file}: cannot read the image: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    const img = decodeImage(bytes, file);
    x.set(imageToChw(img, size, size, { rescale: meta.preprocessing.rescale, resizeMode: meta.preprocessing.resizeMode }), i * 3 * size * size);
  });
  const probs = await predict(model, x, { sampleShape: [3, size, size] });
  return probs.map((p, i) => {
    let top = 0;
    for (let k = 1; k < p.length; k++) if (p[k]! > p[top]!) top = k;
    const probabilities: Record<string, number> = {};
    meta.classNames.forEach((name, k) => (probabilities[name] = p[k]!));
    return { file: files[i]!, class: meta.classNames[top] ?? String(top), probability: p[top]!, probabilities };
  });
}

async function predictCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  const [modelPath, ...images] = positionals;
  if (modelPath === undefined || images.length === 0) throw new UsageError('usage: alexnet predict MODEL IMAGE... [--json]');
  for (const f of images) if (!existsSync(f)) throw new UsageError(`${f}: no such image file`);
  const { model, meta } = await loadCheckpoint(modelPath);
  const results = await predictFiles(model, meta, images);
  if (values.json) io.stdout(JSON.stringify(results, null, 2) + '\n');
  else for (const r of results) io.stdout(`${r.file}: ${r.class} ${formatFixed(r.probability, 2)}\n`);
  return 0;
}

/** A confusion matrix as an aligned text table (rows: true class, columns: predicted). */
export function formatConfusion(classNames: readonly string[], m: number[][]): string {
  const width = Math.max(9, ...classNames.map((c) => c.length), ...m.flat().map((v) => String(v).length)) + 2;
  const pad = (s: string) => s.padStart(width);
  const lines = [pad('true\\pred') + classNames.map(pad).join('')];
  classNames.forEach((c, i) => lines.push(pad(c) + (m[i] ?? []).map((v) => pad(String(v))).join('')));
  return lines.join('\n') + '\n';
}

async function evaluateCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, 'batch-size': { type: 'string' }, workers: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [modelPath, dir, ...extra] = positionals;
  if (modelPath === undefined || dir === undefined || extra.length) throw new UsageError('usage: alexnet evaluate MODEL DIR [--json] [--batch-size N]');
  const batchSize = parseInteger('batch-size', values['batch-size'], 1, 32);
  const classes = checkImageFolder(dir, 'DIR', 1);
  const { model, meta } = await loadCheckpoint(modelPath);
  const unknown = classes.filter((c) => !meta.classNames.includes(c));
  if (unknown.length) throw new UsageError(`${dir}: class folder(s) ${unknown.join(', ')} are not among the model's classes (${meta.classNames.join(', ')})`);
  // Label by the model's class order, even when DIR has only some of the classes.
  const { imageDatasetFromFiles } = await import('./data/index.js');
  const files: string[] = [];
  const labels: number[] = [];
  for (const c of classes) {
    for (const f of listImages(join(dir, c))) {
      files.push(f);
      labels.push(meta.classNames.indexOf(c));
    }
  }
  const ds = imageDatasetFromFiles(files, labels, meta.classNames, {
    imageSize: [meta.inputSize, meta.inputSize],
    rescale: meta.preprocessing.rescale,
    resizeMode: meta.preprocessing.resizeMode,
    shuffle: false,
    seed: 0,
    workers: values.workers === undefined ? undefined : parseInteger('workers', values.workers, 0),
    warn: (m) => io.stderr(m + '\n'),
  });
  const r = await evaluate(model, ds, { batchSize, confusionMatrix: true });
  const confusion = r.confusion!.slice(0, meta.classNames.length).map((row) => row.slice(0, meta.classNames.length));
  if (values.json) {
    io.stdout(JSON.stringify({ loss: r.loss, accuracy: r.accuracy, count: r.count, skipped: r.skipped, classNames: meta.classNames, confusion }, null, 2) + '\n');
  } else {
    io.stdout(`${r.count} images${r.skipped ? ` (${r.skipped} unreadable, skipped)` : ''}\nloss: ${formatFixed(r.loss, 4)} - accuracy: ${formatFixed(r.accuracy, 4)}\n\n`);
    io.stdout(formatConfusion(meta.classNames, confusion));
  }
  return 0;
}

function listImages(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listImages(p));
    else if (IMAGE_EXTENSIONS.test(e.name)) out.push(p);
  }
  return out;
}

// ---- summary / bench -----------------------------------------------------------------------

async function summaryCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { model: { type: 'string' }, 'input-size': { type: 'string' }, classes: { type: 'string' }, width: { type: 'string' } },
    allowPositionals: false,
    strict: true,
  });
  const preset = parsePreset(values.model, 'paper');
  const inputSize = parseInteger('input-size', values['input-size'], 16, DEFAULT_INPUT_SIZE[preset]);
  const numClasses = parseInteger('classes', values.classes, 1, 1000);
  const width = values.width === undefined ? undefined : parseNumber('width', values.width, (x) => x > 0 && x <= 4, 'a multiplier in (0, 4]');
  await ensureDevice();
  const model = buildModel({ preset, numClasses, inputSize, seed: 0, width });
  const { text } = summary(model, [1, 3, inputSize, inputSize]);
  io.stdout(text.endsWith('\n') ? text : text + '\n');
  return 0;
}

async function benchCommand(args: string[], io: CliIO): Promise<number> {
  const specifier = '../../bench/run.js';
  let mod: { runBench?: (args: string[]) => unknown };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    io.stderr(`alexnet bench: the benchmark runner (bench/run.ts) is not available in this build: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
  if (typeof mod.runBench !== 'function') {
    io.stderr('alexnet bench: bench/run does not export runBench(args)\n');
    return 1;
  }
  const r = await mod.runBench(args);
  return typeof r === 'number' ? r : 0;
}

/** The options `profile` and `tune` share: which model, at what input size and batch. */
const STEP_MODEL_OPTIONS = {
  model: { type: 'string' },
  'input-size': { type: 'string' },
  width: { type: 'string' },
  'batch-size': { type: 'string' },
  classes: { type: 'string' },
} as const;

function parseStepModel(values: { model?: string; 'input-size'?: string; width?: string; 'batch-size'?: string; classes?: string }) {
  const preset = parsePreset(values.model, 'paper');
  return {
    preset,
    inputSize: parseInteger('input-size', values['input-size'], 16, DEFAULT_INPUT_SIZE[preset]),
    width: values.width === undefined ? undefined : parseNumber('width', values.width, (x) => x > 0 && x <= 4, 'a multiplier in (0, 4]'),
    batch: parseInteger('batch-size', values['batch-size'], 1, 32),
    numClasses: parseInteger('classes', values.classes, 1, 1000),
  };
}

async function tuneCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...STEP_MODEL_OPTIONS,
      runs: { type: 'string' },
      cache: { type: 'string' },
      'dry-run': { type: 'boolean' },
      show: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    allowPositionals: false,
    strict: true,
  });
  const path = values.cache ?? defaultTuneCachePath();
  const device = await ensureDevice();
  const adapter = device.describe();
  if (values.show) {
    const entries = readTuneCache(path)?.adapters[adapter] ?? {};
    io.stdout(values.json ? JSON.stringify({ adapter, path, entries }, null, 2) + '\n' : formatTuneTable(adapter, entries) + `\n(${path})\n`);
    return 0;
  }
  const { preset, inputSize, width, batch, numClasses } = parseStepModel(values);
  const runs = parseInteger('runs', values.runs, 1, 3);
  const { tuneTrainStep } = await import('../train/tune.js');
  const model = buildModel({ preset, numClasses, inputSize, seed: 1, width });
  const log = values.json ? undefined : (line: string) => io.stderr(line + '\n');
  const r = await tuneTrainStep(model, { batch, inputShape: [3, inputSize, inputSize], numClasses, runs, log });
  model.dispose();
  if (!values['dry-run']) await saveTuneEntries(adapter, r.entries, path);
  const saved = values['dry-run'] ? 'not saved (--dry-run)' : `saved to ${path}`;
  io.stdout(values.json ? JSON.stringify({ adapter, path: values['dry-run'] ? null : path, entries: r.entries }, null, 2) + '\n'
    : formatTuneTable(adapter, r.entries) + `\n${Object.keys(r.entries).length} problems, ${saved}\n`);
  return 0;
}

/** The tuned problems as a table: the rule's choice, the measured choice, the times. */
export function formatTuneTable(adapter: string, entries: Record<string, import('../tensor/autotune.js').TuneEntry>): string {
  const lines = [`autotune: ${adapter}`, '', '| problem | rule | tuned | ms per version | left out |', '|---|---|---|---|---|'];
  for (const [key, e] of Object.entries(entries)) {
    const times = Object.entries(e.ms).sort((a, b) => a[1] - b[1]).map(([v, t]) => `${v} ${t.toFixed(2)}`).join(', ');
    const gain = e.choice !== e.rule && e.ms[e.rule] !== undefined && e.ms[e.choice] ? ` (${(e.ms[e.rule]! / e.ms[e.choice]!).toFixed(2)}x)` : '';
    const skipped = Object.entries(e.skipped ?? {}).map(([v, why]) => `${v}: ${why}`).join('; ');
    lines.push(`| ${key} | ${e.rule} | ${e.choice}${gain} | ${times} | ${skipped} |`);
  }
  return lines.join('\n');
}

async function profileCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...STEP_MODEL_OPTIONS,
      optimizer: { type: 'string' },
      steps: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: false,
    strict: true,
  });
  const { preset, inputSize, width, batch, numClasses } = parseStepModel(values);
  const steps = parseInteger('steps', values.steps, 1, 3);
  const optimizerName = parseOptimizer(values.optimizer);
  const { profileTrainStep, formatProfile } = await import('../train/profile.js');
  await ensureDevice();
  const model = buildModel({ preset, numClasses, inputSize, seed: 1, width });
  const optimizer = makeOptimizer(optimizerName, model, optimizerName === 'adam' ? 1e-3 : 0.01);
  const p = await profileTrainStep(model, { batch, inputShape: [3, inputSize, inputSize], numClasses, optimizer, steps });
  io.stdout(values.json ? JSON.stringify(p, null, 2) + '\n' : formatProfile(p) + '\n');
  return 0;
}
