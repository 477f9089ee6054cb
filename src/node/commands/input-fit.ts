// SPDX-License-Identifier: MIT
// Whether a preset at an input size fits the adapter, from the layer arithmetic alone
// (alexnetTensorShapes): refused with the figures before the model is built, so an input size
// of 100000 is one usage error instead of thousands of failed buffer creations.

import { alexnetTensorShapes, type AlexNetPreset } from '../../models/alexnet.js';
import { BufferPool } from '../../tensor/buffer-pool.js';
import type { Device } from '../../tensor/index.js';
import { MIN_INPUT_SIZE, UsageError } from './common.js';

export interface InputFitOptions {
  preset: AlexNetPreset;
  inputSize: number;
  numClasses: number;
  width?: number;
}

/** What the largest tensor needs, and the adapter's limits. */
export interface InputFit {
  /** the tensor with the most bytes (weights once, activations for the whole batch) */
  largest: { name: string; bytes: number };
  /** the feature map with the most bytes for one image (a conv processes at least one image per binding) */
  largestImage: { name: string; bytes: number };
  maxBufferSize: number;
  maxBinding: number;
}

const MB = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 30 ? 1 : 0)} MiB`;

/** The largest tensors of the model at `batch` images, against `limits` (pure: testable without a GPU). */
export function inputFit(o: InputFitOptions, batch: number, limits: { maxBufferSize: number; maxBinding: number }): InputFit {
  const largest = { name: '', bytes: 0 };
  const largestImage = { name: '', bytes: 0 };
  for (const { name, shape } of alexnetTensorShapes(o)) {
    const perImage = shape.reduce((a, b) => a * b, 1) * 4;
    const weight = name.endsWith('.weight');
    const bytes = weight ? perImage : perImage * batch;
    if (bytes > largest.bytes) Object.assign(largest, { name, bytes });
    if (!weight && !name.startsWith('classifier') && perImage > largestImage.bytes) Object.assign(largestImage, { name, bytes: perImage });
  }
  return { largest, largestImage, ...limits };
}

/**
 * Throws a UsageError naming --input-size when a tensor of the model would not fit one buffer
 * of this adapter (tensors over the binding size are split into chunks, so maxBufferSize is the
 * limit; the buffer pool rounds a size up by at most 1/16), or when one image's feature map
 * would not fit one storage binding (a convolution binds at least one whole image).
 */
export function checkInputFits(device: Device, o: InputFitOptions, batch: number): void {
  const limits = { maxBufferSize: device.limits.maxBufferSize, maxBinding: device.maxBinding, alignment: device.alignment };
  const problem = misfit(o, batch, limits);
  if (problem === null) return;
  // the largest size that fits (sizes only grow with the input: a binary search)
  let [lo, hi] = [MIN_INPUT_SIZE[o.preset], o.inputSize];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (misfit({ ...o, inputSize: mid }, batch, limits) === null) lo = mid;
    else hi = mid;
  }
  const fits = misfit({ ...o, inputSize: lo }, batch, limits) === null ? `; at most ${lo} fits with these options` : '';
  throw new UsageError(`--input-size ${o.inputSize} is too large for this adapter (${device.describe()}): ${problem}${fits}`);
}

/** Why the model does not fit, or null. */
function misfit(o: InputFitOptions, batch: number, limits: { maxBufferSize: number; maxBinding: number; alignment: number }): string | null {
  const f = inputFit(o, batch, limits);
  if (BufferPool.bucket(f.largest.bytes) > f.maxBufferSize) {
    const of = f.largest.name.endsWith('.weight') ? '' : ` for a batch of ${batch}`;
    return `${f.largest.name} would take ${f.largest.bytes} bytes (${MB(f.largest.bytes)})${of}, more than its largest buffer, maxBufferSize ${f.maxBufferSize} bytes (${MB(f.maxBufferSize)})`;
  }
  if (f.largestImage.bytes + limits.alignment > f.maxBinding) {
    return `${f.largestImage.name} would take ${f.largestImage.bytes} bytes (${MB(f.largestImage.bytes)}) for one image, more than one storage binding, maxStorageBufferBindingSize ${f.maxBinding} bytes (${MB(f.maxBinding)})`;
  }
  return null;
}
