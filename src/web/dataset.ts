// SPDX-License-Identifier: MIT
// A training set from files the user picks (<input type=file webkitdirectory>) or drops (a
// folder dragged onto the page): one subfolder per class, classes in code-point order as in
// Node and Python's sorted() (cats=0, dogs=1), files folder by folder as Node lists them. Images are decoded once (in workers when a worker URL is given) and
// kept as RGB; each epoch runs the core's preprocessImage (resize, rescale, the same seeded
// augmentation as Node), so a seed gives the same samples in both.
import type { RgbImage } from '../data/image.js';
import { mixSeed, mulberry32, type AugmentOptions } from '../data/augment.js';
import { compareCodePoints, comparePaths } from '../data/order.js';
import { preprocessImage, type PipelineConfig } from '../data/preprocess.js';
import type { BatchLike, DataSource } from '../train/model.js';
import { decodeImage } from './decode.js';

/** A file with the path it had under the picked or dropped folder ("cats/001.jpg" or "pets/cats/001.jpg"). */
export interface PickedFile {
  file: Blob;
  path: string;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|bmp)$/i;

/** Files from an <input webkitdirectory> (their webkitRelativePath) or a plain multi-file input (name only). */
export function pickedFiles(list: FileList | readonly File[]): PickedFile[] {
  return Array.from(list, (f) => ({ file: f, path: f.webkitRelativePath || f.name }));
}

/** Every file under the folders (or files) of a drop event, with their paths. */
export async function droppedFiles(items: DataTransferItemList): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  const entries = Array.from(items, (it) => it.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: prefix + entry.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns at most 100 entries a call: read until it returns none
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e, prefix + entry.name + '/');
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

export interface LabelledFiles {
  classNames: string[];
  files: PickedFile[];
  labels: Int32Array;
  /** files left out (not images, hidden, or not inside a class folder) */
  ignored: string[];
}

/**
 * Groups files by their class folder: the folder that directly holds each image. A picked root
 * folder with class subfolders ("pets/cats/1.jpg") and dropped class folders ("cats/1.jpg")
 * both work. Throws (naming the folders found) when there are fewer than 2 classes.
 */
export function labelFiles(files: readonly PickedFile[]): LabelledFiles {
  const ignored: string[] = [];
  const withClass: { f: PickedFile; cls: string }[] = [];
  for (const f of files) {
    const parts = f.path.split('/').filter((p) => p.length > 0);
    const name = parts[parts.length - 1] ?? '';
    if (parts.length < 2 || !IMAGE_EXT.test(name) || parts.some((p) => p.startsWith('.'))) {
      ignored.push(f.path);
      continue;
    }
    withClass.push({ f, cls: parts[parts.length - 2]! });
  }
  const classNames = [...new Set(withClass.map((w) => w.cls))].sort(compareCodePoints);
  if (classNames.length < 2) {
    throw new Error(
      `the picked files have ${classNames.length} class folder(s)${classNames.length ? ` (${classNames.join(', ')})` : ''}; ` +
        'expected a folder with one subfolder of images per class and at least 2 classes',
    );
  }
  withClass.sort((a, b) => comparePaths(a.f.path, b.f.path));
  return {
    classNames,
    files: withClass.map((w) => w.f),
    labels: Int32Array.from(withClass, (w) => classNames.indexOf(w.cls)),
    ignored,
  };
}

export interface DecodeOptions {
  /** URL of dist/web/decode-worker.js: decode in this many workers. Without it, on the page's thread. */
  workerUrl?: string | URL;
  /** Workers to start. Default: navigator.hardwareConcurrency - 1, at least 1, at most 4. */
  workers?: number;
  /** Called after each image with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface DecodeResult {
  images: (RgbImage | null)[];
  /** files the browser could not decode, with the reason */
  failures: { path: string; reason: string }[];
}

/** Decodes every file (null where decoding failed), in workers when `workerUrl` is given. */
export async function decodeImages(files: readonly PickedFile[], opts: DecodeOptions = {}): Promise<DecodeResult> {
  const images: (RgbImage | null)[] = new Array(files.length).fill(null);
  const failures: { path: string; reason: string }[] = [];
  let done = 0;
  const finish = (i: number, img: RgbImage | null, reason?: string) => {
    images[i] = img;
    if (reason !== undefined) failures.push({ path: files[i]!.path, reason });
    opts.onProgress?.(++done, files.length);
  };
  if (!opts.workerUrl || typeof Worker === 'undefined') {
    for (let i = 0; i < files.length; i++) {
      try {
        finish(i, await decodeImage(files[i]!.file, files[i]!.path));
      } catch (e) {
        finish(i, null, (e as Error).message);
      }
    }
    return { images, failures };
  }
  const n = Math.max(1, Math.min(opts.workers ?? Math.min(4, (navigator.hardwareConcurrency || 2) - 1), files.length));
  const workers = Array.from({ length: n }, () => new Worker(opts.workerUrl!, { type: 'module' }));
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= files.length) return resolve();
              const id = next++;
              w.postMessage({ id, blob: files[id]!.file, name: files[id]!.path });
            };
            w.onmessage = (ev: MessageEvent<{ id: number; image?: RgbImage; error?: string }>) => {
              finish(ev.data.id, ev.data.image ?? null, ev.data.error);
              send();
            };
            w.onerror = (ev) => reject(new Error(`decode worker failed: ${ev.message || 'could not start (is decode-worker.js served?)'}`));
            send();
          }),
      ),
    );
  } finally {
    for (const w of workers) w.terminate();
  }
  return { images, failures };
}

export interface WebImageDatasetOptions {
  /** [h, w] of the samples */
  imageSize: readonly [number, number];
  /** Default 1/255. */
  rescale?: number;
  /** Default 'stretch', as the CLI. */
  resizeMode?: PipelineConfig['resizeMode'];
  augment?: AugmentOptions;
  /** Seeds the shuffle, the split and the augmentation. Default 0. */
  seed?: number;
  /** Reshuffle every epoch. Default true. */
  shuffle?: boolean;
}

const SHUFFLE_TAG = 0x53485546; // 'SHUF', as src/node/data/dataset.ts
const SPLIT_TAG = 0x53504c54; // 'SPLT'

function shuffleInPlace(a: Int32Array, rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** Decoded images in memory as a DataSource for the core's fit(); null images are skipped. */
export class WebImageDataset implements DataSource {
  readonly imageSize: readonly [number, number];
  private readonly config: PipelineConfig;
  private readonly shuffle: boolean;
  private pendingSkips: { file: string; reason: string }[] = [];

  constructor(
    readonly images: readonly (RgbImage | null)[],
    readonly labels: Int32Array,
    readonly classNames: readonly string[],
    opts: WebImageDatasetOptions,
    /** names for skip messages */
    readonly names: readonly string[] = [],
  ) {
    if (images.length !== labels.length) throw new Error(`WebImageDataset: ${images.length} images but ${labels.length} labels`);
    const [h, w] = opts.imageSize;
    if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) throw new Error(`WebImageDataset: imageSize must be two positive integers, got [${h}, ${w}]`);
    this.imageSize = [h, w];
    this.config = { imageSize: [h, w], resizeMode: opts.resizeMode ?? 'stretch', rescale: opts.rescale ?? 1 / 255, augment: opts.augment, seed: opts.seed ?? 0 };
    this.shuffle = opts.shuffle ?? true;
  }

  get length(): number {
    return this.images.length;
  }

  numBatches(batchSize: number): number {
    return Math.ceil(this.length / batchSize);
  }

  /** Seeded Keras-style split (permute, the last floor(n * fraction) are validation), as Node's imageDataset. */
  split(fraction: number): { train: WebImageDataset; validation: WebImageDataset } {
    if (!(fraction > 0 && fraction < 1)) throw new Error(`validationSplit must be in (0, 1), got ${fraction}`);
    const n = this.length;
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    shuffleInPlace(perm, mulberry32(mixSeed(this.config.seed, SPLIT_TAG)));
    const nVal = Math.floor(n * fraction);
    if (nVal === 0 || nVal === n) throw new Error(`validationSplit ${fraction} of ${n} images leaves one side empty`);
    const part = (idx: Int32Array, o: WebImageDatasetOptions) => {
      const sorted = idx.slice().sort();
      return new WebImageDataset(
        Array.from(sorted, (i) => this.images[i]!),
        Int32Array.from(sorted, (i) => this.labels[i]!),
        this.classNames,
        o,
        Array.from(sorted, (i) => this.names[i] ?? String(i)),
      );
    };
    const base: WebImageDatasetOptions = { imageSize: this.imageSize, rescale: this.config.rescale, resizeMode: this.config.resizeMode, seed: this.config.seed };
    return {
      train: part(perm.subarray(0, n - nVal), { ...base, augment: this.config.augment, shuffle: this.shuffle }),
      validation: part(perm.subarray(n - nVal), { ...base, shuffle: false }),
    };
  }

  async *batches(batchSize: number, opts: { epoch?: number } = {}): AsyncGenerator<BatchLike> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batches: batchSize must be a positive integer, got ${batchSize}`);
    const epoch = opts.epoch ?? 0;
    const order = Int32Array.from({ length: this.length }, (_, i) => i);
    if (this.shuffle) shuffleInPlace(order, mulberry32(mixSeed(this.config.seed, SHUFFLE_TAG, epoch)));
    const [h, w] = this.imageSize;
    const size = 3 * h * w;
    for (let start = 0; start < this.length; start += batchSize) {
      const idx = Array.from(order.subarray(start, Math.min(start + batchSize, this.length))).filter((i) => {
        if (this.images[i]) return true;
        this.pendingSkips.push({ file: this.names[i] ?? String(i), reason: 'could not be decoded' });
        return false;
      });
      if (idx.length === 0) continue;
      const x = new Float32Array(idx.length * size);
      idx.forEach((i, k) => preprocessImage(this.images[i]!, this.config, epoch, i, x, k * size));
      yield { x, y: Int32Array.from(idx, (i) => this.labels[i]!), n: idx.length };
      // let the page paint between batches
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  takeSkipped(): { file: string; reason: string }[] {
    const out = this.pendingSkips;
    this.pendingSkips = [];
    return out;
  }
}

/** Picked files -> labelled, decoded, a dataset: the one call a page needs. */
export async function webImageDataset(
  files: readonly PickedFile[],
  opts: WebImageDatasetOptions & DecodeOptions,
): Promise<{ dataset: WebImageDataset; ignored: string[]; failures: { path: string; reason: string }[] }> {
  const labelled = labelFiles(files);
  const { images, failures } = await decodeImages(labelled.files, opts);
  const dataset = new WebImageDataset(images, labelled.labels, labelled.classNames, opts, labelled.files.map((f) => f.path));
  return { dataset, ignored: labelled.ignored, failures };
}
