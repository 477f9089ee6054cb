// SPDX-License-Identifier: MIT
// The structural contracts of the Keras-style trainer: what fit/evaluate/predict need of a model,
// an optimizer, a batch and a data source. Module, SGD/Adam and ImageDataset satisfy them without
// importing this file.

import type { Tensor } from '../tensor/index.js';

/** A named tensor collection as `stateDict()`/`namedParameters()` may return it. */
export type NamedTensors = Map<string, Tensor> | Record<string, Tensor> | Iterable<[string, Tensor]>;

/** What `fit()` needs of a model; `Module` from src/layers satisfies it. */
export interface TrainableModel {
  forward(x: Tensor): Tensor;
  parameters(): Tensor[] | Iterable<Tensor>;
  namedParameters?(): NamedTensors;
  stateDict?(): NamedTensors;
  train?(mode?: boolean): unknown;
  eval?(): unknown;
  training?: boolean;
}

/** What `fit()` needs of an optimizer; `SGD`, `Adam`, `AdamW` from src/optim satisfy it. */
export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
  lr: number;
}

/** One batch: `x` is `[n, ...sampleShape]` row-major, `y` the `n` class indices. */
export interface BatchLike {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/**
 * A source of batches. The image pipeline's `ImageDataset` satisfies it (its `imageSize` gives
 * the sample shape `[3, h, w]`); `arrayDataset()` wraps arrays in memory.
 */
export interface DataSource {
  readonly length: number;
  readonly classNames?: readonly string[];
  /** Shape of one sample, e.g. `[3, 64, 64]`. */
  readonly sampleShape?: readonly number[];
  /** `[h, w]` of 3-channel images (used when `sampleShape` is absent). */
  readonly imageSize?: readonly [number, number];
  batches(batchSize: number, opts?: { epoch?: number }): AsyncIterable<BatchLike>;
  numBatches?(batchSize: number): number;
  /** Files that failed to load since the last call. */
  takeSkipped?(): readonly { file: string; reason: string }[];
}

/** Training mode on or off (Dropout, BatchNorm), with whichever method the model has. */
export function setTrainMode(model: TrainableModel, training: boolean): void {
  if (training) model.train?.(true);
  else if (typeof model.eval === 'function') model.eval();
  else model.train?.(false);
}
