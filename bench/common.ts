// SPDX-License-Identifier: MIT
// Shared benchmark helpers: GPU timing with timestamp queries, medians, table printing.
import type { Device } from '../src/tensor/device.js';

export interface BenchRow {
  bench: string;
  shape: string;
  version: string;
  ms: number;
  gflops: number;
  maxRelError: number | null;
  note?: string;
}

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
  device.timed('bench', record);
  const probe = (await device.readTimings())[0]!.ms;
  const inner = Math.max(1, Math.min(50, Math.ceil(20 / Math.max(probe, 1e-3))));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    device.timed('bench', () => {
      for (let j = 0; j < inner; j++) record();
    });
    const [t] = await device.readTimings();
    times.push(t!.ms / inner);
  }
  return median(times);
}

export function printTable(title: string, rows: BenchRow[], out: (s: string) => void = console.log): void {
  out(`\n${title}`);
  out('| bench | shape | version | ms | GFLOP/s | max rel. error | note |');
  out('|---|---|---|---:|---:|---:|---|');
  for (const r of rows) {
    const err = r.maxRelError === null ? '-' : r.maxRelError.toExponential(1);
    const ms = Number.isFinite(r.ms) ? r.ms.toFixed(2) : '-';
    const gf = Number.isFinite(r.gflops) ? r.gflops.toFixed(2) : '-';
    out(`| ${r.bench} | ${r.shape} | ${r.version} | ${ms} | ${gf} | ${err} | ${r.note ?? ''} |`);
  }
}

/** Deterministic uniform [-1, 1) floats (mulberry32). */
export function randomFloats(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
