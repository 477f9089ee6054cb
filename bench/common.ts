// SPDX-License-Identifier: MIT
// Shared benchmark helpers: GPU timing with timestamp queries, medians, table printing.

export interface BenchRow {
  bench: string;
  shape: string;
  version: string;
  ms: number;
  gflops: number;
  maxRelError: number | null;
  note?: string;
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
