// SPDX-License-Identifier: MIT
// A synthetic two-class image set, so that the whole pipeline (decode, train, checkpoint,
// predict) can be shown with nothing to download: the core's circles and stripes
// (src/data/synthetic.ts), written as PNG and JPEG files.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { mulberry32 } from '../tensor/rng.js';
import { getDevice } from '../tensor/index.js';
import { formatFixed } from '../train/progress.js';
import { loadCheckpoint } from './commands/checkpoint.js';
import { parseInteger, type CliIO, type CommandContext } from './commands/common.js';
import { predictFiles } from './commands/predict.js';
import { train } from './commands/train.js';
import { makeOutFolder } from './out-folder.js';
import { quotePath } from './quote.js';
import { drawSynthetic, SYNTHETIC_CLASSES, syntheticImageSeed } from '../data/synthetic.js';

export { SYNTHETIC_CLASSES, drawSynthetic };

export interface SyntheticOptions {
  /** Image side in pixels. Default 64. */
  size?: number;
  /** Images per class in each split. */
  perClass: { train: number; validation: number; test: number };
  seed?: number;
  /** Fraction written as JPEG (the rest PNG). Default 0.5. */
  jpegFraction?: number;
}

export interface SyntheticSet {
  root: string;
  train: string;
  validation: string;
  test: string;
  /** The test images with their true class. */
  testFiles: { file: string; label: string }[];
}


/** PNG or JPEG bytes of an RGBA image. */
export function encodeImage(rgba: Uint8Array, size: number, format: 'png' | 'jpg'): Uint8Array {
  if (format === 'jpg') return jpeg.encode({ data: rgba, width: size, height: size }, 90).data;
  const png = new PNG({ width: size, height: size });
  png.data.set(rgba);
  return PNG.sync.write(png);
}

/**
 * Writes `root/{train,validation,test}/{circles,stripes}/NNNN.{png,jpg}`. Same seed, same files.
 */
export function writeSyntheticSet(root: string, opts: SyntheticOptions): SyntheticSet {
  const size = opts.size ?? 64;
  const seed = opts.seed ?? 1;
  const jpegFraction = opts.jpegFraction ?? 0.5;
  const testFiles: { file: string; label: string }[] = [];
  let k = 0;
  for (const split of ['train', 'validation', 'test'] as const) {
    for (const [label, name] of SYNTHETIC_CLASSES.entries()) {
      const dir = join(root, split, name);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < opts.perClass[split]; i++) {
        const imageSeed = syntheticImageSeed(seed, ++k);
        const format = mulberry32(imageSeed ^ 0xabc)() < jpegFraction ? 'jpg' : 'png';
        const file = join(dir, `${String(i).padStart(4, '0')}.${format}`);
        writeFileSync(file, encodeImage(drawSynthetic(label, size, imageSeed), size, format));
        if (split === 'test') testFiles.push({ file, label: name });
      }
    }
  }
  return { root, train: join(root, 'train'), validation: join(root, 'validation'), test: join(root, 'test'), testFiles };
}

// ---- the demo job -------------------------------------------------------------------------------

export interface DemoOptions {
  /** Output folder (data, checkpoints, history, plots). Default: a new folder under the OS temp dir. */
  out?: string;
  epochs?: number;
  seed?: number;
  /** Images per class: training, validation, test. */
  perClass?: { train: number; validation: number; test: number };
  inputSize?: number;
  width?: number;
  batchSize?: number;
  verbose?: 0 | 1 | 2;
}

export interface DemoResult {
  bestValAccuracy: number;
  testAccuracy: number;
  seconds: number;
  out: string;
  predictions: { file: string; label: string; predicted: string; probability: number }[];
}

/** The demo config: keras-bn AlexNet at a quarter of its width, 67 px inputs (the smallest the preset takes). */
export const DEMO_DEFAULTS = {
  epochs: 10,
  seed: 7,
  perClass: { train: 240, validation: 80, test: 5 },
  imageSize: 64,
  inputSize: 67,
  width: 0.25,
  batchSize: 32,
  lr: 0.01,
} as const;

/** Generates the synthetic set, trains, saves the best checkpoint, predicts held-out images. */
export async function runDemo(io: CliIO, o: DemoOptions = {}, autotune = true): Promise<DemoResult> {
  const started = Date.now();
  if (o.out !== undefined) makeOutFolder(o.out); // '' or a path through a file: exit 2; a read-only one: exit 1
  const out = o.out ?? mkdtempSync(join(tmpdir(), 'webgpu-alexnet-demo-'));
  const perClass = o.perClass ?? DEMO_DEFAULTS.perClass;
  const seed = o.seed ?? DEMO_DEFAULTS.seed;
  io.stdout(
    `alexnet demo: two synthetic classes (${SYNTHETIC_CLASSES.join(' vs ')}), ` +
      `${perClass.train}/${perClass.validation}/${perClass.test} images per class for training/validation/test\n`,
  );
  const set = writeSyntheticSet(join(out, 'data'), { size: DEMO_DEFAULTS.imageSize, perClass, seed });
  io.stdout(`Generated ${2 * (perClass.train + perClass.validation + perClass.test)} PNG/JPEG images in ${quotePath(set.root)} (${formatFixed((Date.now() - started) / 1000, 1)} s)\n`);
  const result = await train({
    data: set.train,
    val: set.validation,
    preset: 'keras-bn',
    inputSize: o.inputSize ?? DEMO_DEFAULTS.inputSize,
    width: o.width ?? DEMO_DEFAULTS.width,
    epochs: o.epochs ?? DEMO_DEFAULTS.epochs,
    batchSize: o.batchSize ?? DEMO_DEFAULTS.batchSize,
    optimizer: 'sgd',
    lr: DEMO_DEFAULTS.lr,
    augment: false,
    seed,
    patience: 4,
    out,
    verbose: o.verbose ?? 1,
    io,
    autotune,
  });
  const { model, meta } = await loadCheckpoint(result.bestPath, { io, autotune });
  const predictions = await predictFiles(model, meta, set.testFiles.map((t) => t.file));
  io.stdout(`\nPredictions of the best checkpoint on held-out images:\n`);
  let correct = 0;
  const rows = predictions.map((p, i) => {
    const label = set.testFiles[i]!.label;
    if (p.class === label) correct++;
    io.stdout(`  ${p.class === label ? 'ok   ' : 'WRONG'} ${quotePath(relative(out, p.file))}: ${quotePath(p.class)} ${formatFixed(p.probability, 2)} (true: ${label})\n`);
    return { file: p.file, label, predicted: p.class, probability: p.probability };
  });
  const seconds = (Date.now() - started) / 1000;
  io.stdout(
    `\nDevice: ${getDevice().describe()}\n` +
      `Best val_accuracy ${formatFixed(result.bestValAccuracy, 4)}; held-out ${correct}/${predictions.length} correct; total ${formatFixed(seconds, 1)} s\n` +
      `Outputs in ${quotePath(out)}: ${result.files.map((f) => basename(f)).join(', ')}\n` +
      `Try: alexnet predict ${quotePath(join(out, 'best.safetensors'))} ${quotePath(set.testFiles[0]!.file)}\n`,
  );
  return { bestValAccuracy: result.bestValAccuracy, testAccuracy: correct / predictions.length, seconds, out, predictions: rows };
}

export const DEMO_USAGE = '  demo      [--out DIR] [--epochs N] [--seed N]';

/** The demo fails (exit status 1) unless its best validation accuracy is above this: a model that does not learn is an error. */
export const DEMO_MIN_VAL_ACCURACY = 0.85;

/**
 * `alexnet demo [--out DIR] [--epochs N] [--seed N]`. Throws (exit status 1) when the model did
 * not learn, so that CI, which runs the demo, catches a broken backward pass or optimizer.
 * `run` is the job itself (tests give another).
 */
export async function demoCommand(args: string[], ctx: CommandContext, run: typeof runDemo = runDemo): Promise<number> {
  const io = ctx.io;
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' } },
    allowPositionals: false,
    strict: true,
  });
  const r = await run(io, {
    out: values.out,
    epochs: parseInteger('epochs', values.epochs, 1, DEMO_DEFAULTS.epochs),
    seed: parseInteger('seed', values.seed, 0, DEMO_DEFAULTS.seed),
  }, ctx.autotune);
  if (!(r.bestValAccuracy > DEMO_MIN_VAL_ACCURACY)) {
    throw new Error(`the model did not learn: best validation accuracy ${formatFixed(r.bestValAccuracy, 4)}, expected above ${DEMO_MIN_VAL_ACCURACY} (outputs in ${r.out})`);
  }
  return 0;
}
