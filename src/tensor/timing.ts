// SPDX-License-Identifier: MIT
// GPU timing shared by the benchmarks, the profiler and the autotuner: timestamp queries
// (timestamps.ts, through device.timed) when the adapter has them (Dawn created with
// timestamp_quantization off), else wall time around a finished readback; warm-up runs
// first; the median of the timed runs.

import type { Device } from './device.js';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * GPU time of `record` (which records dispatches) in ms: `warmup` untimed runs, then the
 * median of `runs` runs measured with timestamp queries (or, without the feature, wall
 * time around a finished readback).
 */
export async function timeGpu(device: Device, record: () => void, runs = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) record();
  await device.sync();
  if (!device.features.timestamp) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      record();
      await device.sync();
      times.push(performance.now() - t0);
    }
    return median(times);
  }
  // A fast GPU finishes one dispatch in well under a millisecond and idles (clocks down)
  // between timed runs: time `inner` back-to-back repetitions in one region, enough for
  // about 20 ms of work, and divide. On a CPU driver one repetition already takes longer.
  device.timed('timeGpu', record);
  const probe = (await device.readTimings())[0]!.ms;
  const inner = Math.max(1, Math.min(50, Math.ceil(20 / Math.max(probe, 1e-3))));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    device.timed('timeGpu', () => {
      for (let j = 0; j < inner; j++) record();
    });
    const [t] = await device.readTimings();
    times.push(t!.ms / inner);
  }
  return median(times);
}
