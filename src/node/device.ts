// SPDX-License-Identifier: MIT
// Node entry to the GPU: Dawn's Node bindings (npm `webgpu`). Node-only.

import { availableParallelism } from 'node:os';
import { create, globals } from 'webgpu';
import { Device, setDevice, getDevice, hasDevice } from '../tensor/device.js';
import type { OptionalFeature } from '../tensor/adapter.js';
import { FIT_TUNING } from '../train/fit.js';

let installed = false;

export interface NodeDeviceOptions {
  /** extra Dawn toggles, e.g. 'enable-dawn-features=disable_robustness' */
  dawnFlags?: string[];
  powerPreference?: GPUPowerPreference;
  /** optional features not to ask for even where the adapter has them, e.g. ['subgroups'] */
  without?: readonly OptionalFeature[];
  /** make it the default device for tensor constructors (default true) */
  setDefault?: boolean;
}

/**
 * Creates a device through dawn.node and (by default) makes it the default device.
 * Timestamps are not quantised, so benchmarks get nanosecond resolution. Call
 * `destroyDevice()` (or `device.destroy()`) at the end: dawn.node keeps a core busy otherwise.
 */
export async function initDevice(opts: NodeDeviceOptions = {}): Promise<Device> {
  // lavapipe runs shaders on LP_NUM_THREADS worker threads (default: one per core). dawn.node
  // polls for GPU events on the main thread while JS waits, which steals a core from them,
  // and finer work splitting balances that out: oversubscribing helps a lot. Measured on
  // 2 cores (AlexNet b8 training step): 2 threads 1.7, 4 threads 1.97, 8 threads 2.27,
  // 16 threads 2.40, 32 threads 2.41 images/s. Set before the driver loads; a user's value wins.
  if (process.env.LP_NUM_THREADS === undefined) {
    process.env.LP_NUM_THREADS = String(Math.min(32, Math.max(4, 8 * availableParallelism())));
  }
  // With that many driver threads, JS recording the next training step while they run the
  // one before gets a small share of the cores: fit() on a CPU adapter reads each step first
  // (10-20% faster at the recipe's size; BENCHMARKS.md, "Overlapping steps on a CPU driver").
  FIT_TUNING.overlapStepsOnCpu = false;
  if (!installed) {
    // GPUBufferUsage and friends for code that expects the browser's globals
    Object.assign(globalThis, globals);
    installed = true;
  }
  const flags = ['disable-dawn-features=timestamp_quantization', ...(opts.dawnFlags ?? [])];
  const gpu = create(flags) as unknown as GPU;
  const d = await Device.create(gpu, { powerPreference: opts.powerPreference, without: opts.without });
  if (opts.setDefault !== false) setDevice(d);
  return d;
}

/** Destroys the default device, if any. */
export function destroyDevice(): void {
  if (hasDevice()) {
    getDevice().destroy();
    setDevice(null);
  }
}
