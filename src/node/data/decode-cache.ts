// Decoded images kept in memory, so each file is read and decoded once per run instead of once
// per epoch. Decoding a 500x375 JPEG with jpeg-js takes ~20 ms on one core: 2000 photos cost
// ~40 s of CPU every epoch, as much as the training steps of a small model on lavapipe. With the
// cache, later epochs only resample the kept bitmaps (resize, crop, augmentation: ~1 ms each).
// The cache holds full decoded bitmaps (3 bytes per pixel), so the samples are bit-identical to
// the uncached pipeline's; beyond `maxBytes` further images are decoded every time, as before.
// It works on the main thread: batches are built inline (no worker threads) while it is on.
import { readRegularFileSync } from '../read-file.js';
import { processBatch, type BatchJob, type PipelineConfig } from './pipeline.js';
import { decodeImage, type RgbImage } from './decode.js';
import type { BatchRunner } from './workers.js';

export class DecodedImageCache {
  private readonly images = new Map<string, RgbImage>();
  /** bytes held */
  bytes = 0;
  /** loads answered from memory / decoded from the file */
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes >= 0)) throw new Error(`decoded-image cache: maxBytes must be >= 0, got ${maxBytes}`);
  }

  /** The decoded image of `file`; decodes (throwing ImageDecodeError as decodeImage does) on a miss. */
  load(file: string): RgbImage {
    const kept = this.images.get(file);
    if (kept) {
      this.hits++;
      return kept;
    }
    this.misses++;
    const img = decodeImage(readRegularFileSync(file), file);
    if (this.bytes + img.data.byteLength <= this.maxBytes) {
      this.images.set(file, img);
      this.bytes += img.data.byteLength;
    }
    return img;
  }

  get size(): number {
    return this.images.size;
  }
}

/** A batch runner on the main thread that loads through the cache (deferred like the inline runner). */
export function cachedRunner(config: PipelineConfig, cache: DecodedImageCache): BatchRunner {
  return {
    threads: 0,
    run: (job: BatchJob) => new Promise((resolve, reject) => setImmediate(() => {
      try {
        resolve(processBatch(config, job, (file) => cache.load(file)));
      } catch (e) {
        reject(e);
      }
    })),
    close: async () => {},
  };
}
