// SPDX-License-Identifier: MIT
// `alexnet predict MODEL IMAGE...`: the top class and the probabilities of each image, fed
// the way the checkpoint's metadata says (input size, rescale, resize mode).

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeImage, imageToChw, type RgbImage } from '../data/index.js';
import { NotRegularFileError, notRegularFile, readRegularFileSync } from '../read-file.js';
import { predict } from '../../train/evaluate.js';
import type { TrainableModel } from '../../train/model.js';
import { formatFixed } from '../../train/progress.js';
import { withMirrorTTA } from '../../train/tta.js';
import { loadCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { UsageError, type CommandContext } from './common.js';

export const PREDICT_USAGE = '  predict   MODEL IMAGE... [--json] [--tta]';

export interface Prediction {
  file: string;
  class: string;
  probability: number;
  probabilities: Record<string, number>;
}

/** Reads and decodes an image named by the user: a missing or non-regular file is a UsageError, an undecodable one an ImageDecodeError. */
export function readImage(file: string): RgbImage {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(file);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new UsageError(err.message);
    throw new UsageError(`${file}: cannot read the image: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return decodeImage(bytes, file);
}

/** Top class and probabilities for each image file (or, with `decoded`, for those images already read). */
export async function predictFiles(model: TrainableModel, meta: CheckpointMeta, files: readonly string[], decoded?: readonly RgbImage[]): Promise<Prediction[]> {
  const size = meta.inputSize;
  const x = new Float32Array(files.length * 3 * size * size);
  files.forEach((file, i) => {
    const img = decoded?.[i] ?? readImage(file);
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

export async function predictCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, tta: { type: 'boolean' } }, allowPositionals: true, strict: true });
  const [modelPath, ...images] = positionals;
  if (modelPath === undefined || images.length === 0) throw new UsageError('usage: alexnet predict MODEL IMAGE... [--json] [--tta]');
  for (const f of images) {
    if (!existsSync(f)) throw new UsageError(`${f}: no such image file`);
    const why = notRegularFile(f);
    if (why) throw new UsageError(`${f}: ${why}; not read`);
  }
  // every image is read and decoded before the model is loaded: a bad one fails before any GPU work
  const decoded = images.map(readImage);
  const { model, meta } = await loadCheckpoint(modelPath, ctx);
  // --tta: the mean of the probabilities of each image and its mirror (src/train/tta.ts)
  const results = await predictFiles(values.tta ? withMirrorTTA(model) : model, meta, images, decoded);
  if (values.json) ctx.io.stdout(JSON.stringify(results, null, 2) + '\n');
  else for (const r of results) ctx.io.stdout(`${r.file}: ${r.class} ${formatFixed(r.probability, 2)}\n`);
  return 0;
}
