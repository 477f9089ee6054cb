// Labelled image datasets from a folder tree (one subfolder per class) or from explicit file lists,
// iterated as prefetched, seeded batches of Float32 NCHW tensors.
import { cpus } from 'node:os';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkAugmentOptions, mixSeed, mulberry32, type AugmentOptions } from '../../data/augment.js';
import { compareCodePoints } from '../../data/order.js';
import type { BatchItem, PipelineConfig, SkippedFile } from './pipeline.js';
import type { ResizeMode, Triple } from '../../data/transform.js';
import { createRunner } from './workers.js';
import { cachedRunner, DecodedImageCache } from './decode-cache.js';
import { notRegularFile } from '../read-file.js';
import { quotePath } from '../quote.js';

export interface ImageDatasetOptions {
  /** Output [height, width]. Default [256, 256] (Keras's image_size default). */
  imageSize?: readonly [number, number];
  /** Default 'stretch' (Keras's default, crop_to_aspect_ratio=False). */
  resizeMode?: ResizeMode;
  /** Multiplies raw 0..255 values; 1/255 gives [0, 1]. Default 1. */
  rescale?: number;
  /** Per-channel (R, G, B) mean subtracted after rescaling. */
  mean?: Triple;
  /** Per-channel (R, G, B) std divided by after subtracting the mean. */
  std?: Triple;
  /** Random augmentation; with validationSplit it applies to the training part only. */
  augment?: AugmentOptions;
  /** Reshuffle every epoch (seeded by seed and epoch). Default true; the validation part of a split is never shuffled. */
  shuffle?: boolean;
  /** Seeds shuffling, the split and augmentation. Default: a random seed, readable as dataset.seed. */
  seed?: number;
  /** File extensions to load, case-insensitive, for imageDataset(). Default ['jpg', 'jpeg', 'png']. */
  extensions?: readonly string[];
  /** Decoding threads; 0 decodes on the main thread. Default min(2, number of CPUs). */
  workers?: number;
  /** Batches requested ahead of the consumer. Default 2 per worker thread, 1 inline. */
  prefetch?: number;
  /** Receives one message per unreadable file (and other notices). Default console.warn. */
  warn?: (message: string) => void;
  /**
   * Keep decoded images in memory, up to this many MiB (src/node/data/decode-cache.ts): each
   * file is decoded once, and batches are built on the main thread (`workers` is then unused).
   * The two parts of a validation split share it. Default 0 (off).
   */
  cacheMB?: number;
}

/** With a validation split, the options give a pair of datasets instead of one. */
export type SplitOptions = ImageDatasetOptions & { validationSplit: number };

export interface SplitDatasets {
  train: ImageDataset;
  validation: ImageDataset;
}

export interface Batch {
  /** [n, 3, h, w] planar RGB. */
  x: Float32Array;
  /** [n] class indices. */
  y: Int32Array;
  /** Samples in this batch: batchSize, fewer for the last batch or when files were skipped. */
  n: number;
  /** Paths of the n samples, in order. */
  files: string[];
}

export interface BatchOptions {
  /** Selects the shuffle order and the augmentation draws. Default 0. */
  epoch?: number;
  /** Leave out the last, smaller batch. Default false. */
  dropRemainder?: boolean;
}

interface Resolved {
  config: PipelineConfig;
  shuffle: boolean;
  workers: number;
  prefetch: number | undefined;
  warn: (message: string) => void;
  cache: DecodedImageCache | null;
}

export class ImageDataset {
  /** Each file skipped so far, with the reason it was first skipped for. */
  private readonly skippedFiles = new Map<string, string>();
  private pendingSkips: SkippedFile[] = [];
  private skipCount = 0;

  /** Use imageDataset() or imageDatasetFromFiles(). */
  constructor(
    readonly files: readonly string[],
    readonly labels: Int32Array,
    readonly classNames: readonly string[],
    private readonly opts: Resolved,
  ) {}

  get length(): number {
    return this.files.length;
  }

  get imageSize(): readonly [number, number] {
    return this.opts.config.imageSize;
  }

  get seed(): number {
    return this.opts.config.seed;
  }

  /** Batches per epoch; an upper bound when files get skipped (a batch left with no samples is not yielded). */
  numBatches(batchSize: number, dropRemainder = false): number {
    checkBatchSize(batchSize);
    return dropRemainder ? Math.floor(this.length / batchSize) : Math.ceil(this.length / batchSize);
  }

  /** Sample order for an epoch: a seeded Fisher-Yates permutation, or file order without shuffle. */
  order(epoch: number): Int32Array {
    const idx = Int32Array.from({ length: this.length }, (_, i) => i);
    if (this.opts.shuffle) shuffleInPlace(idx, mulberry32(mixSeed(this.seed, SHUFFLE_TAG, epoch)));
    return idx;
  }

  /**
   * Yields the epoch's batches in order while later ones are decoded in the background (up to
   * `prefetch` batches). Unreadable files are left out of their batch, which is then smaller;
   * a file that failed once is not read or decoded again in later epochs (it counts as skipped
   * each time). Breaking out of the loop stops the worker threads.
   */
  async *batches(batchSize: number, opts: BatchOptions = {}): AsyncGenerator<Batch, void, undefined> {
    const epoch = opts.epoch ?? 0;
    const count = this.numBatches(batchSize, opts.dropRemainder ?? false);
    const order = this.order(epoch);
    const runner = this.opts.cache ? cachedRunner(this.opts.config, this.opts.cache) : createRunner(this.opts.config, this.opts.workers, this.opts.warn);
    const prefetch = Math.max(1, this.opts.prefetch ?? (runner.threads > 0 ? 2 * runner.threads : 1));
    const itemsOf = (b: number): BatchItem[] =>
      Array.from(order.subarray(b * batchSize, Math.min((b + 1) * batchSize, this.length)), (i) => ({
        file: this.files[i]!,
        index: i,
      }));

    const pending = new Map<number, { items: BatchItem[]; known: SkippedFile[]; result: ReturnType<typeof runner.run> }>();
    let next = 0;
    const fill = () => {
      for (; next < count && pending.size < prefetch; next++) {
        const all = itemsOf(next);
        // files that already failed are skipped again without being read
        const items = all.filter((it) => !this.skippedFiles.has(it.file));
        const known = all.filter((it) => this.skippedFiles.has(it.file)).map((it) => ({ file: it.file, reason: this.skippedFiles.get(it.file)! }));
        const result = items.length ? runner.run({ items, epoch }) : Promise.resolve({ x: new Float32Array(0), ok: [], failures: [] });
        result.catch(() => {}); // awaited later; this only stops an early rejection from being "unhandled"
        pending.set(next, { items, known, result });
      }
    };
    try {
      for (let b = 0; b < count; b++) {
        fill();
        const { items, known, result } = pending.get(b)!;
        const { x, ok, failures } = await result;
        pending.delete(b);
        fill();
        for (const f of [...known, ...failures]) this.recordSkip(f);
        if (ok.length === 0) continue;
        yield {
          x,
          y: Int32Array.from(ok, (k) => this.labels[items[k]!.index]!),
          n: ok.length,
          files: ok.map((k) => items[k]!.file),
        };
      }
    } finally {
      await runner.close();
    }
  }

  /** Totals over the dataset's life: how many sample loads failed, and each distinct file with its reason. */
  get skipped(): { count: number; files: ReadonlyMap<string, string> } {
    return { count: this.skipCount, files: new Map(this.skippedFiles) };
  }

  /** Skips since the last call (call once per epoch for a per-epoch summary), then forgets them. */
  takeSkipped(): SkippedFile[] {
    const out = this.pendingSkips;
    this.pendingSkips = [];
    return out;
  }

  private recordSkip(f: SkippedFile): void {
    this.skipCount++;
    this.pendingSkips.push(f);
    if (this.skippedFiles.has(f.file)) return; // one warning per file, not one per epoch
    this.skippedFiles.set(f.file, f.reason);
    this.opts.warn(`image pipeline: skipping ${quotePath(f.file)}: ${f.reason}`);
  }
}

const SHUFFLE_TAG = 0x53485546; // 'SHUF'
const SPLIT_TAG = 0x53504c54; // 'SPLT'

function shuffleInPlace(a: Int32Array, rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
}

function resolveOptions(o: ImageDatasetOptions): Resolved {
  const imageSize = o.imageSize ?? [256, 256];
  if (!imageSize.every((s) => Number.isInteger(s) && s > 0)) throw new Error(`imageSize must be two positive integers, got [${imageSize.join(', ')}]`);
  if (o.augment) checkAugmentOptions(o.augment);
  for (const [k, v] of [['mean', o.mean], ['std', o.std]] as const) {
    if (v !== undefined && (v.length !== 3 || !v.every(Number.isFinite))) throw new Error(`${k} must be 3 finite numbers (R, G, B)`);
  }
  if (o.std?.some((s) => s === 0)) throw new Error('std must not contain 0');
  if (o.cacheMB !== undefined && !(o.cacheMB >= 0)) throw new Error(`cacheMB must be >= 0, got ${o.cacheMB}`);
  return {
    config: {
      imageSize: [imageSize[0], imageSize[1]],
      resizeMode: o.resizeMode ?? 'stretch',
      rescale: o.rescale ?? 1,
      mean: o.mean,
      std: o.std,
      augment: o.augment,
      seed: (o.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0,
    },
    shuffle: o.shuffle ?? true,
    workers: Math.max(0, Math.floor(o.workers ?? Math.min(2, cpus().length))),
    prefetch: o.prefetch,
    warn: o.warn ?? ((m) => console.warn(m)),
    cache: o.cacheMB ? new DecodedImageCache(o.cacheMB * 2 ** 20) : null,
  };
}

/** Seeded random split as Keras does it: permute, the last floor(n * fraction) samples are validation. */
function split(files: readonly string[], labels: Int32Array, classNames: readonly string[], fraction: number, r: Resolved): SplitDatasets {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`validationSplit must be in (0, 1), got ${fraction}`);
  const perm = Int32Array.from({ length: files.length }, (_, i) => i);
  shuffleInPlace(perm, mulberry32(mixSeed(r.config.seed, SPLIT_TAG)));
  const nVal = Math.floor(files.length * fraction);
  if (nVal === 0 || nVal === files.length) throw new Error(`validationSplit ${fraction} of ${files.length} files leaves one side empty`);
  // Each side keeps file order, so its sample indices (and augmentation seeds) are stable.
  const part = (idx: Int32Array, o: Resolved) => {
    const sorted = idx.slice().sort();
    return new ImageDataset(Array.from(sorted, (i) => files[i]!), Int32Array.from(sorted, (i) => labels[i]!), classNames, o);
  };
  return {
    train: part(perm.subarray(0, files.length - nVal), r),
    validation: part(perm.subarray(files.length - nVal), { ...r, shuffle: false, config: { ...r.config, augment: undefined } }),
  };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory(); // follows symlinks
  } catch {
    return false;
  }
}

/**
 * Files under `dir` (recursively) whose extension is listed, as sorted paths. Only regular files
 * (or links to one): a FIFO, socket or device named `x.jpg` is left out with a warning, never
 * opened (reading a FIFO blocks forever).
 */
function listImages(dir: string, exts: ReadonlySet<string>, warn: (message: string) => void, seen = new Set<string>()): string[] {
  const out: string[] = [];
  // a folder reached twice (a symbolic link to a parent, or two links to one folder) is listed once
  const real = realpathSync(dir);
  if (seen.has(real)) {
    warn(`image pipeline: skipping ${quotePath(dir)}: the folder ${quotePath(real)} is already listed (a symbolic link loop?)`);
    return out;
  }
  seen.add(real);
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareCodePoints(a.name, b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(p))) out.push(...listImages(p, exts, warn, seen));
    else if (e.name.includes('.') && exts.has(e.name.slice(e.name.lastIndexOf('.') + 1).toLowerCase())) {
      const why = e.isFile() ? null : notRegularFile(p);
      if (why === null) out.push(p);
      else warn(`image pipeline: skipping ${quotePath(p)}: ${why}`);
    }
  }
  return out;
}

/**
 * A dataset from `dir/<class>/...images`: class names are the subfolder names sorted by code points
 * (cats=0, dogs=1), as Keras's image_dataset_from_directory (Python's sorted()). Subfolders starting with '.' are ignored.
 * With `validationSplit` it returns seeded random {train, validation} parts.
 */
export function imageDataset(dir: string, opts: SplitOptions): SplitDatasets;
export function imageDataset(dir: string, opts?: ImageDatasetOptions & { validationSplit?: undefined }): ImageDataset;
export function imageDataset(dir: string, opts: ImageDatasetOptions & { validationSplit?: number } = {}): ImageDataset | SplitDatasets {
  if (!isDirectory(dir)) throw new Error(`image folder not found: ${quotePath(dir)}`);
  const classNames = readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && isDirectory(join(dir, e.name)))
    .map((e) => e.name)
    .sort(compareCodePoints);
  if (classNames.length < 2) {
    throw new Error(
      `${dir} has ${classNames.length} class folder(s)${classNames.length ? ` (${classNames.join(', ')})` : ''}; ` +
        'expected one subfolder per class and at least 2 classes',
    );
  }
  const exts = new Set((opts.extensions ?? ['jpg', 'jpeg', 'png']).map((e) => e.replace(/^\./, '').toLowerCase()));
  const files: string[] = [];
  const labels: number[] = [];
  const r = resolveOptions(opts);
  classNames.forEach((name, label) => {
    const found = listImages(join(dir, name), exts, r.warn);
    if (found.length === 0) r.warn(`image pipeline: class folder ${quotePath(join(dir, name))} has no images`);
    for (const f of found) {
      files.push(f);
      labels.push(label);
    }
  });
  if (files.length === 0) throw new Error(`no images (${[...exts].join(', ')}) found in the class folders of ${quotePath(dir)}`);
  return build(files, Int32Array.from(labels), classNames, opts.validationSplit, r);
}

/** A dataset from explicit paths and class indices (labels[i] in [0, classNames.length)). */
export function imageDatasetFromFiles(files: readonly string[], labels: ArrayLike<number>, classNames: readonly string[], opts: SplitOptions): SplitDatasets;
export function imageDatasetFromFiles(
  files: readonly string[],
  labels: ArrayLike<number>,
  classNames: readonly string[],
  opts?: ImageDatasetOptions & { validationSplit?: undefined },
): ImageDataset;
export function imageDatasetFromFiles(
  files: readonly string[],
  labels: ArrayLike<number>,
  classNames: readonly string[],
  opts: ImageDatasetOptions & { validationSplit?: number } = {},
): ImageDataset | SplitDatasets {
  if (files.length !== labels.length) throw new Error(`${files.length} files but ${labels.length} labels`);
  if (files.length === 0) throw new Error('no image files given');
  const y = Int32Array.from(labels);
  y.forEach((l, i) => {
    if (l !== labels[i] || l < 0 || l >= classNames.length) throw new Error(`label ${labels[i]} of ${quotePath(files[i]!)} is not a class index in [0, ${classNames.length})`);
  });
  return build([...files], y, [...classNames], opts.validationSplit, resolveOptions(opts));
}

function build(files: string[], labels: Int32Array, classNames: readonly string[], validationSplit: number | undefined, r: Resolved): ImageDataset | SplitDatasets {
  if (validationSplit === undefined) return new ImageDataset(files, labels, classNames, r);
  return split(files, labels, classNames, validationSplit, r);
}
