// The work done for one batch: read, decode, (augment,) resize, normalise. Runs in a worker or inline;
// it is a pure function of its inputs, which is what makes both modes give identical batches.
import { preprocessImage, type PipelineConfig } from '../../data/preprocess.js';
import { decodeImage, ImageDecodeError, type RgbImage } from './decode.js';
import { NotRegularFileError, readRegularFileSync } from '../read-file.js';

function readAndDecode(file: string): RgbImage {
  return decodeImage(readRegularFileSync(file), file);
}

export type { PipelineConfig };

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

/** `load` reads and decodes one file (the decoded-image cache passes its own). */
export function processBatch(config: PipelineConfig, job: BatchJob, load: (file: string) => RgbImage = readAndDecode): BatchResult {
  const [outH, outW] = config.imageSize;
  const size = 3 * outH * outW;
  const x = new Float32Array(job.items.length * size);
  const ok: number[] = [];
  const failures: SkippedFile[] = [];
  job.items.forEach(({ file, index }, k) => {
    let img;
    try {
      img = load(file);
    } catch (e) {
      const reason = e instanceof ImageDecodeError ? e.reason : e instanceof NotRegularFileError ? `not a regular file (${e.kind})` : e instanceof Error ? e.message : String(e);
      failures.push({ file, reason });
      return;
    }
    preprocessImage(img, config, job.epoch, index, x, ok.length * size);
    ok.push(k);
  });
  // Failed samples leave unused space at the end; hand back only the filled part.
  return { x: ok.length === job.items.length ? x : x.slice(0, ok.length * size), ok, failures };
}
