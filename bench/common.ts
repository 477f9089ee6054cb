// SPDX-License-Identifier: MIT
// Shared benchmark helpers: GPU timing with timestamp queries, medians, table printing. No Node
// imports: the benchmarks' bodies run unchanged in Node and in a page (npm run bench:browser).

export interface BenchRow {
  bench: string;
  shape: string;
  version: string;
  ms: number;
  gflops: number;
  maxRelError: number | null;
  note?: string;
  /** how `ms` was measured: timestamp queries on the GPU, or wall time around finished work */
  timing?: 'timestamp' | 'wall';
  /** whole-model rows (AlexNet forward, training step): images per second */
  imagesPerSec?: number;
}

/** Whether a version is asked for: no filter, or its name or kernel file stem is in it ('vec4', '03_vec4'). */
export function versionWanted(filter: readonly string[] | undefined, name: string, wgsl?: string): boolean {
  if (!filter) return true;
  const stem = wgsl?.replace(/^.*\//, '').replace(/\.wgsl$/, '');
  return filter.includes(name) || (stem !== undefined && filter.includes(stem));
}

export { median, timeGpu } from '../src/tensor/timing.js';
import { randomArray } from '../src/tensor/reference/random.js';

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

/** Deterministic uniform [-1, 1) floats: the oracles' seeded inputs (randomArray), as float32. */
export function randomFloats(n: number, seed: number): Float32Array {
  return Float32Array.from(randomArray(n, seed));
}
