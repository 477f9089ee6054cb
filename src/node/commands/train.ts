// SPDX-License-Identifier: MIT
// `alexnet train`: the options table (one row per flag: how it is parsed and where it goes),
// and `train()`, callable from code (the demo uses it): data, model or resumed checkpoint,
// optimizer, callbacks (best and last checkpoints, early stopping, CSV log), fit, history, plots.
// The run folder's files (history every epoch, the best a resumed run starts from): run-folder.ts.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { CSVLogger } from '../csv-logger.js';
import { imageDataset, type AugmentOptions, type ImageDataset } from '../data/index.js';
import { lockRunFolder, makeOutFolder } from '../out-folder.js';
import { writeHistoryPlots } from '../plot.js';
import { quotePath } from '../quote.js';
import { notRegularFile } from '../read-file.js';
import { listenForStop, StoppedBySignal, type StopListener } from '../stop-signals.js';
import { checkOptimizerState } from '../../io/checkpoint-meta.js';
import type { AlexNet } from '../../models/alexnet.js';
import { Callback, EarlyStopping, ModelCheckpoint } from '../../train/callbacks.js';
import { compile } from '../../train/compile.js';
import { fit, type FitHistory } from '../../train/fit.js';
import { History } from '../../train/history.js';
import { formatFixed } from '../../train/progress.js';
import type { OptimizerState } from '../../optim/optimizer.js';
import { buildModel, checkpointSaver, DEFAULT_PREPROCESSING, loadCheckedModel, makeOptimizer, type CheckpointMeta } from './checkpoint.js';
import { checkInputFits } from './input-fit.js';
import {
  DEFAULT_INPUT_SIZE,
  ensureDevice,
  parseInteger,
  parseNumber,
  parseInputSize,
  parseOptimizer,
  parsePreset,
  parseVerbose,
  parseWidth,
  seconds,
  UsageError,
  type CliIO,
  type CommandContext,
  type OptimizerName,
  type Preset,
} from './common.js';
import { checkImageFolder } from './images.js';
import { checkpointLogs, checkRunFolder, HistoryFile, removeStaleTemporaries, resumedBest, resumedHistory, rewriteCsv, writtenFiles, wroteLine } from './run-folder.js';
import { describeRecipe, parseRecipe, RECIPE_OPTIONS, RECIPE_USAGE, recipeAugment, recipeCallbacks, recipeMix, type RecipeOptions } from './recipe.js';
import { NothingReadable, StopOnSignal } from './train-callbacks.js';

/** Keras' cats-vs-dogs tutorial augmentation (shear in degrees, as Keras). */
export const TUTORIAL_AUGMENT: AugmentOptions = {
  rotationRange: 40,
  widthShiftRange: 0.2,
  heightShiftRange: 0.2,
  shearRange: 0.2,
  zoomRange: 0.2,
  horizontalFlip: true,
};

export const TRAIN_USAGE = `  train     --data DIR [--val DIR | --validation-split F] [--model paper|keras-bn|torchvision]
            [--input-size N] [--epochs N] [--batch-size N] [--optimizer sgd|adam] [--lr X]
            [--augment] [--seed N] [--patience N] [--out DIR] [--resume FILE] [--width F]
            [--workers N] [--verbose 0|1|2]
${RECIPE_USAGE}`;

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
  ...RECIPE_OPTIONS,
} as const;


/** `alexnet train ...`: parses the flags of TRAIN_OPTIONS into TrainOptions and trains. */
export async function trainCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseArgs({ args, options: TRAIN_OPTIONS, allowPositionals: false, strict: true });
  if (values.data === undefined) throw new UsageError('--data DIR is required (a folder with one subfolder of images per class)');
  if (values.val !== undefined && values['validation-split'] !== undefined) {
    throw new UsageError('give either --val DIR or --validation-split F, not both');
  }
  const preset = parsePreset(values.model, 'keras-bn');
  const size = values['input-size'];
  const result = await train({
    data: values.data,
    val: values.val,
    validationSplit:
      values.val === undefined ? parseNumber('validation-split', values['validation-split'], (x) => x > 0 && x < 1, 'a fraction in (0, 1)', 0.2) : undefined,
    preset,
    // a resumed run's preset comes from the checkpoint: train() checks the size against it
    inputSize: size === undefined ? undefined : values.resume === undefined ? parseInputSize(size, preset) : parseInteger('input-size', size, 1),
    epochs: parseInteger('epochs', values.epochs, 1, 10),
    batchSize: parseInteger('batch-size', values['batch-size'], 1, 32),
    optimizer: parseOptimizer(values.optimizer),
    lr: values.lr === undefined ? undefined : parseNumber('lr', values.lr, (x) => x > 0, 'a positive number'),
    augment: values.augment ?? false,
    seed: parseInteger('seed', values.seed, 0, 42),
    patience: parseInteger('patience', values.patience, 1, 5),
    out: values.out ?? 'runs/alexnet',
    resume: values.resume,
    width: parseWidth(values.width),
    workers: values.workers === undefined ? undefined : parseInteger('workers', values.workers, 0),
    verbose: parseVerbose(values.verbose),
    recipe: parseRecipe(values),
    io: ctx.io,
    autotune: ctx.autotune,
  });
  return result.history instanceof History && (result.history as { stopReason?: string }).stopReason === 'nan' ? 1 : 0;
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
  /** Weight decay, label smoothing, schedule, moving average, random crops, image cache (recipe.ts). */
  recipe?: RecipeOptions;
  io: CliIO;
  /** Use the autotune cache (default true; false with --no-autotune). */
  autotune?: boolean;
  /** Messages from the image pipeline (skipped files). Default: io.stderr. */
  warn?: (message: string) => void;
}

/**
 * `alexnet train`, callable from code (the demo uses it). Initialises the device if needed.
 * The run folder is created and locked first; a stop signal (SIGINT, SIGTERM, SIGHUP) ends the
 * run after the current step with the folder's files those of the last completed epoch, then
 * throws StoppedBySignal (exit status 128 + n).
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const io = o.io;
  const started = Date.now();
  const trainClasses = checkImageFolder(o.data, '--data');
  if (o.val !== undefined) {
    const valClasses = checkImageFolder(o.val, '--val');
    if (valClasses.join('/') !== trainClasses.join('/')) {
      throw new UsageError(`--val ${quotePath(o.val)}: classes ${valClasses.map(quotePath).join(', ')} differ from --data's ${trainClasses.map(quotePath).join(', ')}`);
    }
  }
  if (o.resume === undefined && o.inputSize !== undefined) parseInputSize(String(o.inputSize), o.preset);
  if (o.out === '') throw new UsageError(`--out '': an empty path; name a folder`);
  if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new UsageError(`--out ${quotePath(o.out)}: not a folder`);
  if (o.resume !== undefined && !existsSync(o.resume)) throw new UsageError(`--resume ${quotePath(o.resume)}: no such file`);
  const notFile = o.resume === undefined ? null : notRegularFile(o.resume);
  if (notFile) throw new UsageError(`--resume ${quotePath(o.resume!)}: ${notFile}; not read`);

  const verbose = o.verbose ?? 1;
  const stop = listenForStop((signal) =>
    io.stderr(`\nalexnet train: ${signal}: stopping after the current step; the files of the last completed epoch are kept (send it again to stop at once)\n`),
  );
  // the run folder, created and locked before anything is written to it
  makeOutFolder(o.out);
  const lock = lockRunFolder(o.out);
  try {
    if (lock.replacedStale && verbose > 0) io.stderr(`Removed the lock of process ${lock.replacedStale.pid}, which no longer runs, from ${quotePath(o.out)}\n`);
    return await trainLocked(o, trainClasses, stop, started);
  } finally {
    lock.release();
    stop.dispose();
  }
}

/** the files a run writes that a later run would replace */
const RUN_FILES = ['best.safetensors', 'last.safetensors', 'history.json', 'history.csv'];

async function trainLocked(o: TrainOptions, trainClasses: string[], stop: StopListener, started: number): Promise<TrainResult> {
  const io = o.io;
  const verbose = o.verbose ?? 1;
  const device = await ensureDevice({ io, autotune: o.autotune });
  if (verbose > 0) io.stdout(`Device: ${device.describe()}\n`);
  const bestPath = join(o.out, 'best.safetensors');

  // The checkpoint being resumed (its model is built once the data is checked against it).
  let meta: CheckpointMeta;
  let initialEpoch = 0;
  let resumed: Awaited<ReturnType<typeof loadCheckedModel>> | undefined;
  let bestFile: { value: number; epoch: number } | undefined;
  if (o.resume !== undefined) {
    resumed = await loadCheckedModel(o.resume);
    meta = resumed.meta;
    try {
      if (meta.classNames.join('/') !== trainClasses.join('/')) {
        throw new UsageError(`--resume ${quotePath(o.resume)}: the checkpoint's classes ${meta.classNames.map(quotePath).join(', ')} differ from the data's ${trainClasses.map(quotePath).join(', ')}`);
      }
      if (o.inputSize !== undefined && o.inputSize !== meta.inputSize) {
        throw new UsageError(`--input-size ${o.inputSize} differs from the checkpoint's ${meta.inputSize}`);
      }
      initialEpoch = meta.epoch ?? 0;
      if (initialEpoch >= o.epochs) {
        throw new UsageError(`--resume ${quotePath(o.resume)}: the checkpoint already completed ${initialEpoch} epoch(s); ask for more with --epochs N (N > ${initialEpoch})`);
      }
      // the folder's other checkpoints must be of this model; its best is what a new epoch must beat
      bestFile = await checkRunFolder(o.out, o.resume, meta);
    } catch (e) {
      resumed.loaded.model.dispose();
      throw e;
    }
  } else {
    const inputSize = o.inputSize ?? DEFAULT_INPUT_SIZE[o.preset];
    meta = { preset: o.preset, classNames: trainClasses, inputSize, preprocessing: DEFAULT_PREPROCESSING, width: o.width, seed: o.seed };
    // a new run into an earlier run's folder replaces its files, as Keras' ModelCheckpoint
    // would: said, so that nobody loses a best model without a word
    const earlier = RUN_FILES.filter((f) => existsSync(join(o.out, f)));
    if (earlier.length) {
      io.stderr(`alexnet train: warning: ${quotePath(o.out)} holds an earlier run's ${earlier.join(', ')}; this new run replaces them (--resume FILE continues a run instead)\n`);
    }
  }

  // Data.
  const { trainSet, valSet } = datasets(o, meta);
  let model: AlexNet;
  let resumedOptimizer: OptimizerState | undefined;
  if (resumed) {
    model = resumed.loaded.model;
    resumedOptimizer = resumed.loaded.optimizerState;
  } else {
    // a batch larger than the data is one batch of all of it (as Keras does): check what runs
    const batch = Math.min(o.batchSize, Math.max(trainSet.length, valSet.length));
    checkInputFits(device, { preset: o.preset, numClasses: trainClasses.length, inputSize: meta.inputSize, width: o.width }, batch);
    model = buildModel({ preset: o.preset, numClasses: trainClasses.length, inputSize: meta.inputSize, seed: o.seed, width: o.width });
  }
  const optimizerName = o.resume !== undefined && meta.optimizer ? (meta.optimizer as OptimizerName) : o.optimizer;
  const lr = o.lr ?? (optimizerName === 'adam' ? 1e-3 : 0.01);
  const optimizer = makeOptimizer(optimizerName, model, lr, { weightDecay: o.recipe?.weightDecay, decayOnlyWeights: o.recipe?.decayWeightsOnly });
  if (resumedOptimizer !== undefined) {
    const params = model.namedParameters();
    checkOptimizerState(resumedOptimizer, optimizer.stateDict().type, params.map(([name]) => name), quotePath(o.resume!), params.map(([, t]) => t.shape));
    optimizer.loadStateDict(resumedOptimizer);
    if (o.lr !== undefined) optimizer.lr = o.lr;
  }
  meta = { ...meta, optimizer: optimizerName };
  compile(model, { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], labelSmoothing: o.recipe?.labelSmoothing ?? 0 });
  const size = meta.inputSize;
  if (verbose > 0) {
    io.stdout(
      `Found ${trainSet.length} training and ${valSet.length} validation images in ${trainClasses.length} classes: ${trainClasses.map(quotePath).join(', ')}\n` +
        `Model: AlexNet '${meta.preset}'${meta.width && meta.width !== 1 ? ` (width ×${meta.width})` : ''}, input ${size}x${size}, ` +
        `optimizer ${optimizerName} lr ${optimizer.lr}, batch ${o.batchSize}` +
        (initialEpoch > 0 ? `, resuming at epoch ${initialEpoch + 1}` : '') +
        '\n' +
        (describeRecipe(o.recipe) ? `Recipe: ${describeRecipe(o.recipe)}\n` : ''),
    );
  }

  // Outputs and callbacks.
  const stale = await removeStaleTemporaries(o.out);
  if (stale.length && verbose > 0) io.stderr(`Removed ${stale.length} temporary file(s) left in ${quotePath(o.out)} by a killed run\n`);
  const lastPath = join(o.out, 'last.safetensors');
  const csvPath = join(o.out, 'history.csv');
  const jsonPath = join(o.out, 'history.json');
  // the completed epochs: history.json, what it lacks from history.csv, the last from the checkpoint
  const previous = initialEpoch > 0 ? await resumedHistory(jsonPath, csvPath, initialEpoch, checkpointLogs(resumed?.loaded.metadata['logs'])) : undefined;
  if (initialEpoch > 0) await rewriteCsv(csvPath, previous ?? new History());
  const checkpoint = new ModelCheckpoint({ filepath: bestPath, monitor: 'val_accuracy', saveBestOnly: true, verbose: verbose > 0 ? 1 : 0 });
  // a resumed run replaces best.safetensors only when it beats the best so far
  const before = initialEpoch > 0 ? resumedBest(previous, meta, bestFile) : undefined;
  if (before) [checkpoint.best, checkpoint.bestEpoch] = [before.value, before.epoch];
  const historyFile = new HistoryFile(jsonPath, previous);
  const callbacks: Callback[] = [
    new StopOnSignal(stop),
    new NothingReadable(trainSet, '--data', o.data, valSet, o.val === undefined ? '--data' : '--val', o.val ?? o.data),
    // before the checkpoints: the moving average is in the model when they save
    ...recipeCallbacks(o.recipe, { model, peakLr: lr, epochs: o.epochs, stepsPerEpoch: trainSet.numBatches(o.batchSize) }),
    checkpoint,
    new ModelCheckpoint({ filepath: lastPath, verbose: 0 }),
    new EarlyStopping({ monitor: 'val_loss', patience: o.patience, verbose: verbose > 0 ? 1 : 0 }),
    new CSVLogger({ filename: csvPath, append: initialEpoch > 0 }),
    historyFile,
  ];
  // every checkpoint carries the best so far, for a resumed run whose history.json is lost
  const saveCheckpoint = checkpointSaver(model, meta, optimizer, () => ({
    ...(Number.isFinite(checkpoint.best) ? { bestValAccuracy: checkpoint.best } : {}),
    ...(checkpoint.bestEpoch >= 0 ? { bestEpoch: checkpoint.bestEpoch } : {}),
  }));
  let history: FitHistory | undefined;
  let stoppedBy: StoppedBySignal | undefined;
  try {
    history = await fit(model, trainSet, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      validationData: valSet,
      callbacks,
      verbose,
      initialEpoch,
      seed: o.seed,
      mix: recipeMix(o.recipe),
      // ModelCheckpoint names best.safetensors in its lines: printed quoted when --out needs it
      write: quotePath(bestPath) === bestPath ? io.stdout : (text) => io.stdout(text.split(bestPath).join(quotePath(bestPath))),
      isTTY: io.isTTY,
      saveCheckpoint,
    });
  } catch (e) {
    if (!(e instanceof StoppedBySignal)) throw e;
    stoppedBy = e;
  }

  // The whole history (a resumed run's earlier epochs too) is in history.json already; plots.
  const merged = historyFile.history;
  const files = [bestPath, lastPath, jsonPath, csvPath];
  if (merged.epoch.length > 0 && !stoppedBy) files.push(...(await writeHistoryPlots(merged, o.out)));
  // the best as ModelCheckpoint holds it: what best.safetensors holds (written or inherited)
  const top = Number.isFinite(checkpoint.best) && checkpoint.bestEpoch >= 0 ? { value: checkpoint.best, epoch: checkpoint.bestEpoch } : undefined;
  const best = top?.value ?? NaN;
  const elapsed = Date.now() - started;
  if (verbose > 0) {
    const skipped = trainSet.skipped.count + valSet.skipped.count;
    const bestText = top ? `best val_accuracy ${formatFixed(best, 4)} (epoch ${top.epoch + 1})` : 'no epoch gave a val_accuracy';
    const outcome = stoppedBy
      ? `\nStopped by ${stoppedBy.signal} after ${merged.epoch.length} completed epoch(s); ${bestText}`
      : history!.stopReason === 'nan'
        ? `\nTraining failed: ${history!.nanMessage ?? 'the loss became NaN'}` + (top ? `; best val_accuracy before it ${formatFixed(best, 4)} (epoch ${top.epoch + 1})` : '')
        : top ? `\nBest val_accuracy ${formatFixed(best, 4)} (epoch ${top.epoch + 1})` : '\nNo epoch gave a val_accuracy';
    io.stdout(outcome + `; trained in ${seconds(elapsed)}` + (skipped ? `; ${skipped} unreadable image load(s) skipped` : '') + `\n${wroteLine(files, o.out, started)}\n`);
  }
  if (stoppedBy) throw stoppedBy;
  const written = writtenFiles(files, started);
  return { history: history!, bestPath, bestValAccuracy: best, seconds: elapsed / 1000, files: written };
}

/** The training and validation sets of a run (a split of --data without --val). */
function datasets(o: TrainOptions, meta: CheckpointMeta): { trainSet: ImageDataset; valSet: ImageDataset } {
  const size = meta.inputSize;
  const common = {
    imageSize: [size, size] as const,
    rescale: meta.preprocessing.rescale,
    resizeMode: meta.preprocessing.resizeMode,
    seed: o.seed,
    workers: o.workers,
    cacheMB: o.recipe?.cacheMB,
    warn: o.warn ?? ((m: string) => o.io.stderr(m + '\n')),
  };
  const augment = recipeAugment(o.augment ? TUTORIAL_AUGMENT : undefined, o.recipe);
  if (o.val !== undefined) return { trainSet: imageDataset(o.data, { ...common, augment }), valSet: imageDataset(o.val, { ...common, shuffle: false }) };
  const fraction = o.validationSplit ?? 0.2;
  let split;
  try {
    split = imageDataset(o.data, { ...common, augment, validationSplit: fraction });
  } catch (e) {
    // too few images for the split: an input problem, said with the flag
    if (/leaves one side empty/.test((e as Error).message)) throw new UsageError(`--validation-split ${fraction}: ${(e as Error).message}; give more images or --val DIR`);
    throw e;
  }
  if (split.validation.length === 0) throw new UsageError(`--validation-split ${o.validationSplit}: leaves no validation images`);
  return { trainSet: split.train, valSet: split.validation };
}
