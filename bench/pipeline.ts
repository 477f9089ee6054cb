// Throughput of the image pipeline alone (read + decode + resize, optionally augment), no GPU.
// Run: node dist/bench/pipeline.js [images]   (after npm run build)
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageDataset, imageDatasetFromFiles, type AugmentOptions } from '../src/node/data/index.js';

export interface PipelineBenchOptions {
  /** Class-folder tree to read. Default: ../shared/data/cats-vs-dogs/train beside the repository. */
  dir?: string;
  sizes?: readonly number[];
  workers?: readonly number[];
  /** Also measure with Keras-tutorial-style augmentation. Default true. */
  augment?: boolean;
  /** Images per measurement (a seeded random subset). Default 400. */
  limit?: number;
  batchSize?: number;
}

export interface PipelineBenchRow {
  imageSize: number;
  workers: number;
  augment: boolean;
  images: number;
  seconds: number;
  imagesPerSec: number;
}

/** The repository root: the nearest folder above this file with a package.json (works from bench/ and dist/bench/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const defaultBenchDir = (): string => resolve(repoRoot(), '..', 'shared', 'data', 'cats-vs-dogs', 'train');

const TUTORIAL_AUGMENT: AugmentOptions = { rotationRange: 40, widthShiftRange: 0.2, heightShiftRange: 0.2, shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true };

/** Returns one row per (size, workers, augment); an empty list (with a message) when the data folder is missing. */
export async function benchPipeline(opts: PipelineBenchOptions = {}): Promise<PipelineBenchRow[]> {
  const dir = opts.dir ?? defaultBenchDir();
  if (!existsSync(dir)) {
    console.log(`pipeline bench skipped: ${dir} not found`);
    return [];
  }
  const limit = opts.limit ?? 400;
  const batchSize = opts.batchSize ?? 32;
  // A fixed, seeded random subset of `limit` files (the validation side of a split), the same for every row.
  const all = imageDataset(dir, { seed: 1 });
  const subset = limit < all.length ? imageDataset(dir, { seed: 1, validationSplit: limit / all.length }).validation : all;
  const rows: PipelineBenchRow[] = [];
  for (const size of opts.sizes ?? [227, 64]) {
    for (const augment of opts.augment === false ? [false] : [false, true]) {
      for (const workers of opts.workers ?? [0, 2]) {
        const ds = imageDatasetFromFiles(subset.files, subset.labels, subset.classNames, {
          imageSize: [size, size],
          rescale: 1 / 255,
          seed: 1,
          workers,
          augment: augment ? TUTORIAL_AUGMENT : undefined,
        });
        const start = performance.now();
        let images = 0;
        for await (const b of ds.batches(batchSize)) images += b.n;
        const seconds = (performance.now() - start) / 1000;
        rows.push({ imageSize: size, workers, augment, images, seconds, imagesPerSec: images / seconds });
      }
    }
  }
  return rows;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const limit = process.argv[2] ? Number(process.argv[2]) : undefined;
  const rows = await benchPipeline({ limit });
  for (const r of rows) {
    const label = `${r.imageSize}x${r.imageSize} ${r.augment ? 'augment' : 'plain  '} workers=${r.workers}`;
    console.log(`${label}: ${r.imagesPerSec.toFixed(1)} images/s (${r.images} images in ${r.seconds.toFixed(2)} s)`);
  }
}
