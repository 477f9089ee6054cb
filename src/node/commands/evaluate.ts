// SPDX-License-Identifier: MIT
// `alexnet evaluate MODEL DIR`: loss, accuracy and the confusion matrix of a checkpoint on a
// folder of labelled images (labels by the model's class order).

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { imageDatasetFromFiles } from '../data/index.js';
import { evaluate } from '../../train/evaluate.js';
import { withMirrorTTA } from '../../train/tta.js';
import { formatFixed } from '../../train/progress.js';
import { loadCheckpoint } from './checkpoint.js';
import { parseInteger, UsageError, type CommandContext } from './common.js';
import { DataError } from './exit-status.js';
import { checkImageFolder, listImages } from './images.js';
import { quotePath, safeJson } from '../quote.js';

export const EVALUATE_USAGE = '  evaluate  MODEL DIR [--batch-size N] [--workers N] [--json] [--tta]';

/** A confusion matrix as an aligned text table (rows: true class, columns: predicted). */
export function formatConfusion(classNames: readonly string[], m: number[][]): string {
  const names = classNames.map(quotePath);
  const width = Math.max(9, ...names.map((c) => c.length), ...m.flat().map((v) => String(v).length)) + 2;
  const pad = (s: string) => s.padStart(width);
  const lines = [pad('true\\pred') + names.map(pad).join('')];
  names.forEach((c, i) => lines.push(pad(c) + (m[i] ?? []).map((v) => pad(String(v))).join('')));
  return lines.join('\n') + '\n';
}

export async function evaluateCommand(args: string[], ctx: CommandContext): Promise<number> {
  const io = ctx.io;
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, 'batch-size': { type: 'string' }, workers: { type: 'string' }, tta: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [modelPath, dir, ...extra] = positionals;
  if (modelPath === undefined || dir === undefined || extra.length) throw new UsageError('usage: alexnet evaluate MODEL DIR [--json] [--batch-size N] [--tta]');
  const batchSize = parseInteger('batch-size', values['batch-size'], 1, 32);
  const workers = values.workers === undefined ? undefined : parseInteger('workers', values.workers, 0);
  const classes = checkImageFolder(dir, 'DIR', 1);
  const { model, meta } = await loadCheckpoint(modelPath, ctx);
  const unknown = classes.filter((c) => !meta.classNames.includes(c));
  if (unknown.length) throw new UsageError(`${quotePath(dir)}: class folder(s) ${unknown.map(quotePath).join(', ')} are not among the model's classes (${meta.classNames.map(quotePath).join(', ')})`);
  // Label by the model's class order, even when DIR has only some of the classes.
  const files: string[] = [];
  const labels: number[] = [];
  for (const c of classes) {
    for (const f of listImages(join(dir, c), (m) => io.stderr(`alexnet evaluate: ${m}\n`))) {
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
    workers,
    warn: (m) => io.stderr(m + '\n'),
  });
  // --tta: the mean of the probabilities of each image and its mirror (src/train/tta.ts)
  const r = await evaluate(values.tta ? withMirrorTTA(model) : model, ds, { batchSize, confusionMatrix: true });
  if (r.count === 0) {
    const [file, reason] = ds.skipped.files.entries().next().value ?? ['', ''];
    throw new DataError(`${quotePath(dir)}: none of the ${files.length} images could be read${file ? ` (e.g. ${quotePath(file)}: ${reason})` : ''}; nothing to evaluate`);
  }
  const confusion = r.confusion!.slice(0, meta.classNames.length).map((row) => row.slice(0, meta.classNames.length));
  if (values.json) {
    io.stdout(safeJson({ loss: r.loss, accuracy: r.accuracy, count: r.count, skipped: r.skipped, classNames: meta.classNames, confusion }, 2) + '\n');
  } else {
    io.stdout(`${r.count} images${r.skipped ? ` (${r.skipped} unreadable, skipped)` : ''}${values.tta ? ', each averaged with its mirror (--tta)' : ''}\nloss: ${formatFixed(r.loss, 4)} - accuracy: ${formatFixed(r.accuracy, 4)}\n\n`);
    io.stdout(formatConfusion(meta.classNames, confusion));
  }
  return 0;
}
