// SPDX-License-Identifier: MIT
// `alexnet train`: the options table (one row per flag: how it is parsed and where it goes),
// and `train()`, callable from code (the demo uses it): data, model or resumed checkpoint,
// optimizer, callbacks (best and last checkpoints, early stopping, CSV log), fit, history, plots.
// The run folder's files (history every epoch, the best a resumed run starts from): run-folder.ts.

import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { CSVLogger } from '../csv-logger.js';
import { imageDataset, type AugmentOptions, type ImageDataset } from '../data/index.js';
import { writeHistoryPlots } from '../plot.js';
import { notRegularFile } from '../read-file.js';
import { checkOptimizerState } from '../../io/checkpoint-meta.js';
import type { AlexNet } from '../../models/alexnet.js';
import { Callback, EarlyStopping, ModelCheckpoint } from '../../train/callbacks.js';
import { compile } from '../../train/compile.js';
import { fit } from '../../train/fit.js';
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
import { DataError } from './exit-status.js';
import { checkImageFolder } from './images.js';
import { bestOf, HistoryFile, readCsvHistory, readHistory, removeStaleTemporaries, resumedBest, rewriteCsv, writtenFiles, wroteLine } from './run-folder.js';
import { describeRecipe, parseRecipe, RECIPE_OPTIONS, RECIPE_USAGE, recipeAugment, recipeCallbacks, recipeMix, type RecipeOptions } from './recipe.js';

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
  if (o.resume === undefined && o.inputSize !== undefined) parseInputSize(String(o.inputSize), o.preset);
  if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new UsageError(`--out ${o.out}: not a folder`);
  if (o.resume !== undefined && !existsSync(o.resume)) throw new UsageError(`--resume ${o.resume}: no such file`);
  const notFile = o.resume === undefined ? null : notRegularFile(o.resume);
  if (notFile) throw new UsageError(`--resume ${o.resume}: ${notFile}; not read`);

  const device = await ensureDevice({ io, autotune: o.autotune });
  const verbose = o.verbose ?? 1;
  if (verbose > 0) io.stdout(`Device: ${device.describe()}\n`);

  // Model: fresh, or from the checkpoint being resumed.
  let model: AlexNet;
  let meta: CheckpointMeta;
  let initialEpoch = 0;
  let resumedOptimizer: OptimizerState | undefined;
  if (o.resume !== undefined) {
    const checked = await loadCheckedModel(o.resume);
    const loaded = checked.loaded;
    meta = checked.meta;
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
    checkInputFits(device, { preset: o.preset, numClasses: trainClasses.length, inputSize, width: o.width }, o.batchSize);
    model = buildModel({ preset: o.preset, numClasses: trainClasses.length, inputSize, seed: o.seed, width: o.width });
  }
  const optimizerName = o.resume !== undefined && meta.optimizer ? (meta.optimizer as OptimizerName) : o.optimizer;
  const lr = o.lr ?? (optimizerName === 'adam' ? 1e-3 : 0.01);
  const optimizer = makeOptimizer(optimizerName, model, lr, { weightDecay: o.recipe?.weightDecay, decayOnlyWeights: o.recipe?.decayWeightsOnly });
  if (resumedOptimizer !== undefined) {
    const names = model.namedParameters().map(([name]) => name);
    checkOptimizerState(resumedOptimizer, optimizer.stateDict().type, names, o.resume!);
    optimizer.loadStateDict(resumedOptimizer);
    if (o.lr !== undefined) optimizer.lr = o.lr;
  }
  meta = { ...meta, optimizer: optimizerName };
  compile(model, { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], labelSmoothing: o.recipe?.labelSmoothing ?? 0 });

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
    cacheMB: o.recipe?.cacheMB,
    warn,
  };
  const augment = recipeAugment(o.augment ? TUTORIAL_AUGMENT : undefined, o.recipe);
  let trainSet: ImageDataset;
  let valSet: ImageDataset;
  if (o.val !== undefined) {
    trainSet = imageDataset(o.data, { ...common, augment });
    valSet = imageDataset(o.val, { ...common, shuffle: false });
  } else {
    const fraction = o.validationSplit ?? 0.2;
    let split;
    try {
      split = imageDataset(o.data, { ...common, augment, validationSplit: fraction });
    } catch (e) {
      // too few images for the split: an input problem, said with the flag
      if (/leaves one side empty/.test((e as Error).message)) throw new UsageError(`--validation-split ${fraction}: ${(e as Error).message}; give more images or --val DIR`);
      throw e;
    }
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
        '\n' +
        (describeRecipe(o.recipe) ? `Recipe: ${describeRecipe(o.recipe)}\n` : ''),
    );
  }

  // Outputs and callbacks.
  await mkdir(o.out, { recursive: true });
  const stale = await removeStaleTemporaries(o.out);
  if (stale.length && verbose > 0) io.stderr(`Removed ${stale.length} temporary file(s) left in ${o.out} by a killed run\n`);
  const bestPath = join(o.out, 'best.safetensors');
  const lastPath = join(o.out, 'last.safetensors');
  const csvPath = join(o.out, 'history.csv');
  const jsonPath = join(o.out, 'history.json');
  // a lost history.json: the CSV log has the same table
  const previous = initialEpoch > 0 ? ((await readHistory(jsonPath, initialEpoch)) ?? (await readCsvHistory(csvPath, initialEpoch))) : undefined;
  if (initialEpoch > 0) await rewriteCsv(csvPath, previous ?? new History());
  const checkpoint = new ModelCheckpoint({ filepath: bestPath, monitor: 'val_accuracy', saveBestOnly: true, verbose: verbose > 0 ? 1 : 0 });
  // a resumed run replaces best.safetensors only when it beats the best so far
  const before = initialEpoch > 0 ? resumedBest(previous, meta) : undefined;
  if (before) [checkpoint.best, checkpoint.bestEpoch] = [before.value, before.epoch];
  const historyFile = new HistoryFile(jsonPath, previous);
  const callbacks: Callback[] = [
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
  const history = await fit(model, trainSet, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    validationData: valSet,
    callbacks,
    verbose,
    initialEpoch,
    seed: o.seed,
    mix: recipeMix(o.recipe),
    write: io.stdout,
    isTTY: io.isTTY,
    saveCheckpoint,
  });

  // The whole history (a resumed run's earlier epochs too) is in history.json already; plots.
  const merged = historyFile.history;
  const files = [bestPath, lastPath, jsonPath, csvPath];
  if (merged.epoch.length > 0) files.push(...(await writeHistoryPlots(merged, o.out)));
  const top = bestOf(merged);
  const best = top?.value ?? NaN;
  const elapsed = Date.now() - started;
  if (verbose > 0) {
    const skipped = trainSet.skipped.count + valSet.skipped.count;
    const outcome = history.stopReason === 'nan'
      ? `\nTraining failed: ${history.nanMessage ?? 'the loss became NaN'}` + (top ? `; best val_accuracy before it ${formatFixed(best, 4)} (epoch ${top.epoch + 1})` : '')
      : top ? `\nBest val_accuracy ${formatFixed(best, 4)} (epoch ${top.epoch + 1})` : '\nNo epoch gave a val_accuracy';
    io.stdout(outcome + `; trained in ${seconds(elapsed)}` + (skipped ? `; ${skipped} unreadable image load(s) skipped` : '') + `\n${wroteLine(files, o.out)}\n`);
  }
  const written = writtenFiles(files);
  return { history, bestPath, bestValAccuracy: best, seconds: elapsed / 1000, files: written };
}

/**
 * Stops the run with a DataError (exit status 3) when every file of a data set failed to load
 * in an epoch: nothing to train on, or nothing to validate with. First in the callback list, so
 * no checkpoint is written for such an epoch.
 */
class NothingReadable extends Callback {
  constructor(
    private readonly trainSet: ImageDataset,
    private readonly trainFlag: string,
    private readonly trainDir: string,
    private readonly valSet: ImageDataset,
    private readonly valFlag: string,
    private readonly valDir: string,
  ) {
    super();
  }

  override onEpochEnd(): void {
    for (const [ds, flag, dir, what] of [[this.trainSet, this.trainFlag, this.trainDir, 'training'], [this.valSet, this.valFlag, this.valDir, 'validation']] as const) {
      const failed = ds.skipped.files;
      if (ds.length > 0 && ds.files.every((f) => failed.has(f))) {
        const [file, reason] = failed.entries().next().value!;
        throw new DataError(`${flag} ${dir}: none of the ${ds.length} ${what} images could be read (e.g. ${file}: ${reason}); nothing to ${what === 'training' ? 'train on' : 'validate with'}`);
      }
    }
  }
}


