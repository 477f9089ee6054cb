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
