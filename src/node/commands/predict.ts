// SPDX-License-Identifier: MIT
// `alexnet predict MODEL IMAGE...`: the top class and the probabilities of each image, fed
// the way the checkpoint's metadata says (input size, rescale, resize mode). Images are decoded
// a batch at a time and each decoded bitmap is dropped once resized to the input: memory is
// bounded by the batch, not by the number of images named (40 photos of 12 MP kept whole
// took 2 GB).

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkImageHeader, decodeImage, imageToChw, type RgbImage } from '../data/index.js';
import { quotePath, safeJson } from '../quote.js';
import { NotRegularFileError, notRegularFile, readRegularFileSync } from '../read-file.js';
import { predict } from '../../train/evaluate.js';
import type { TrainableModel } from '../../train/model.js';
import { formatFixed } from '../../train/progress.js';
import { withMirrorTTA } from '../../train/tta.js';
import { loadCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { parseInteger, UsageError, type CommandContext } from './common.js';

export const PREDICT_USAGE = '  predict   MODEL IMAGE... [--json] [--tta] [--batch-size N]';

export interface Prediction {
  file: string;
  class: string;
  probability: number;
  probabilities: Record<string, number>;
}

/** The bytes of an image named by the user: a missing or non-regular file is a UsageError. */
function readImageBytes(file: string): Uint8Array {
  try {
    return readRegularFileSync(file);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new UsageError(err.message);
    throw new UsageError(`${quotePath(file)}: cannot read the image: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Reads and decodes an image named by the user: a missing or non-regular file is a UsageError, an undecodable one an ImageDecodeError. */
export function readImage(file: string): RgbImage {
  return decodeImage(readImageBytes(file), file);
}

/** Checks that every image can be read and has headers this loader decodes, without decoding any (microseconds each). */
export function checkImages(files: readonly string[]): void {
  for (const f of files) {
    if (!existsSync(f)) throw new UsageError(`${quotePath(f)}: no such image file`);
    const why = notRegularFile(f);
    if (why) throw new UsageError(`${quotePath(f)}: ${why}; not read`);
  }
  for (const f of files) checkImageHeader(readImageBytes(f), f);
}

export interface PredictFilesOptions {
  /** Images decoded, resized and run together (default 32): the bound on what is held in memory. */
  batchSize?: number;
  /** Reads and decodes one file (default: readImage). */
  read?: (file: string) => RgbImage;
}

/**
 * Top class and probabilities for each image file, a batch at a time: each image is decoded,
 * resized into the batch's input and dropped before the next is decoded.
 */
export async function predictFiles(model: TrainableModel, meta: CheckpointMeta, files: readonly string[], opts: PredictFilesOptions = {}): Promise<Prediction[]> {
  const size = meta.inputSize;
  const sample = 3 * size * size;
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const read = opts.read ?? readImage;
  const out: Prediction[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = files.slice(start, start + batchSize);
    const x = new Float32Array(batch.length * sample);
    for (const [i, file] of batch.entries()) {
      x.set(imageToChw(read(file), size, size, { rescale: meta.preprocessing.rescale, resizeMode: meta.preprocessing.resizeMode }), i * sample);
      // the event loop turns between images (a signal is handled, the last bitmap can be collected)
      await new Promise((resolve) => setImmediate(resolve));
    }
    const probs = await predict(model, x, { sampleShape: [3, size, size], batchSize });
    probs.forEach((p, i) => {
      let top = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[top]!) top = k;
      const probabilities: Record<string, number> = {};
      meta.classNames.forEach((name, k) => (probabilities[name] = p[k]!));
      out.push({ file: batch[i]!, class: meta.classNames[top] ?? String(top), probability: p[top]!, probabilities });
    });
  }
  return out;
}

export async function predictCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, tta: { type: 'boolean' }, 'batch-size': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [modelPath, ...images] = positionals;
  if (modelPath === undefined || images.length === 0) throw new UsageError('usage: alexnet predict MODEL IMAGE... [--json] [--tta] [--batch-size N]');
  const batchSize = parseInteger('batch-size', values['batch-size'], 1, 32);
  // every image's headers are checked before the model is loaded: a file that is not an image
  // fails before any GPU work (one whose image data is corrupt fails when its batch is decoded)
  checkImages(images);
  const { model, meta } = await loadCheckpoint(modelPath, ctx);
  // --tta: the mean of the probabilities of each image and its mirror (src/train/tta.ts)
  const results = await predictFiles(values.tta ? withMirrorTTA(model) : model, meta, images, { batchSize });
  if (values.json) ctx.io.stdout(safeJson(results, 2) + '\n');
  else for (const r of results) ctx.io.stdout(`${quotePath(r.file)}: ${quotePath(r.class)} ${formatFixed(r.probability, 2)}\n`);
  return 0;
}
