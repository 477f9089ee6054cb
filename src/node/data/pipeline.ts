// The work done for one batch: read, decode, (augment,) resize, normalise. Runs in a worker or inline;
// it is a pure function of its inputs, which is what makes both modes give identical batches.
import { readFileSync } from 'node:fs';
import { randomAffine, mixSeed, mulberry32, type AugmentOptions } from './augment.js';
import { decodeImage, ImageDecodeError } from './decode.js';
import { channelNorm, composeAffine, resizeAffine, sampleAffine, type ResizeMode, type Triple } from './transform.js';

/** Everything a worker needs to turn files into tensors; plain data so it can be posted to a thread. */
export interface PipelineConfig {
  imageSize: readonly [number, number];
  resizeMode: ResizeMode;
  rescale: number;
  mean?: Triple;
  std?: Triple;
  augment?: AugmentOptions;
  seed: number;
}

/** One sample to load: `index` is its position in the dataset's file list and seeds its augmentation. */
export interface BatchItem {
  file: string;
  index: number;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface BatchJob {
  items: BatchItem[];
  epoch: number;
}

/** `x` holds only the samples that loaded, in order; `ok` lists their positions within `items`. */
export interface BatchResult {
  x: Float32Array;
  ok: number[];
  failures: SkippedFile[];
}

export function processBatch(config: PipelineConfig, job: BatchJob): BatchResult {
  const [outH, outW] = config.imageSize;
  const size = 3 * outH * outW;
  const norm = channelNorm(config.rescale, config.mean, config.std);
  const x = new Float32Array(job.items.length * size);
  const ok: number[] = [];
  const failures: SkippedFile[] = [];
  job.items.forEach(({ file, index }, k) => {
    let img;
    try {
      img = decodeImage(readFileSync(file), file);
    } catch (e) {
      const reason = e instanceof ImageDecodeError ? e.reason : e instanceof Error ? e.message : String(e);
      failures.push({ file, reason });
      return;
    }
    let m = resizeAffine(img.height, img.width, outH, outW, config.resizeMode);
    if (config.augment) {
      const rng = mulberry32(mixSeed(config.seed, job.epoch, index));
      m = composeAffine(randomAffine(rng, config.augment, img.height, img.width), m);
    }
    sampleAffine(img, m, outH, outW, norm, x, ok.length * size);
    ok.push(k);
  });
  // Failed samples leave unused space at the end; hand back only the filled part.
  return { x: ok.length === job.items.length ? x : x.slice(0, ok.length * size), ok, failures };
}
