// SPDX-License-Identifier: MIT
// Arrays in memory as a data source (seeded shuffle per epoch), and how fit/evaluate take either.

import { mixSeed, mulberry32 } from '../tensor/rng.js';
import type { DataSource, BatchLike } from './model.js';

/** Arrays in memory: `x` holds `y.length` samples of `sampleShape`. */
export interface ArrayData {
  x: Float32Array;
  y: Int32Array | ArrayLike<number>;
  sampleShape: readonly number[];
  classNames?: readonly string[];
}

export interface ArrayDatasetOptions {
  /** Shuffle each epoch (seeded by `seed` and the epoch). Default true. */
  shuffle?: boolean;
  seed?: number;
  classNames?: readonly string[];
}

/** A `DataSource` over arrays in memory. */
export class ArrayDataset implements DataSource {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly sampleShape: readonly number[];
  readonly classNames: readonly string[];
  readonly shuffle: boolean;
  readonly seed: number;
  private readonly sampleSize: number;

  constructor(x: Float32Array, y: Int32Array | ArrayLike<number>, sampleShape: readonly number[], opts: ArrayDatasetOptions = {}) {
    this.x = x;
    this.y = y instanceof Int32Array ? y : Int32Array.from(y);
    this.sampleShape = [...sampleShape];
    this.sampleSize = sampleShape.reduce((a, b) => a * b, 1);
    if (this.sampleSize * this.y.length !== x.length) {
      throw new Error(
        `arrayDataset: x has ${x.length} values, expected ${this.y.length} samples × ${this.sampleSize} (shape [${sampleShape.join(', ')}])`,
      );
    }
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    let classes = 0;
    for (const label of this.y) classes = Math.max(classes, label + 1);
    this.classNames = opts.classNames ?? Array.from({ length: classes }, (_, i) => String(i));
  }

  get length(): number {
    return this.y.length;
  }

  numBatches(batchSize: number): number {
    return Math.ceil(this.length / batchSize);
  }

  async *batches(batchSize: number, opts: { epoch?: number } = {}): AsyncGenerator<BatchLike> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batches: batchSize must be a positive integer, got ${batchSize}`);
    const order = Int32Array.from({ length: this.length }, (_, i) => i);
    if (this.shuffle) {
      const random = mulberry32(mixSeed(this.seed, opts.epoch ?? 0));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
    }
    const size = this.sampleSize;
    for (let start = 0; start < this.length; start += batchSize) {
      const n = Math.min(batchSize, this.length - start);
      const x = new Float32Array(n * size);
      const y = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const i = order[start + k]!;
        x.set(this.x.subarray(i * size, (i + 1) * size), k * size);
        y[k] = this.y[i]!;
      }
      yield { x, y, n };
    }
  }
}

/** `new ArrayDataset(...)` from `{ x, y, sampleShape }`. */
export function arrayDataset(data: ArrayData, opts: ArrayDatasetOptions = {}): ArrayDataset {
  return new ArrayDataset(data.x, data.y, data.sampleShape, { classNames: data.classNames, ...opts });
}

export function asSource(data: DataSource | ArrayData, seed: number | undefined): DataSource {
  if ('batches' in data && typeof data.batches === 'function') return data;
  return arrayDataset(data as ArrayData, { seed });
}

export function sampleShapeOf(data: DataSource): readonly number[] {
  if (data.sampleShape) return data.sampleShape;
  if (data.imageSize) return [3, data.imageSize[0], data.imageSize[1]];
  throw new Error('fit: the data source has neither sampleShape nor imageSize, so batches cannot be shaped');
}
