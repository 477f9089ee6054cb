// SPDX-License-Identifier: MIT
// Matmul benchmark: GFLOP/s of every version on square sizes and AlexNet's fc shapes, with
// the max relative error against a float64 CPU reference in the same row. No Node imports:
// it runs unchanged in a page (npm run bench:browser).
//   npm run bench -- matmul [--json] [--quick]
import { Tensor, gemm, matmulVersions, selectMatmul } from '../src/tensor/index.js';
import type { Device } from '../src/tensor/device.js';
import { matmulRefAt } from '../src/tensor/reference/matmul.js';
import { randomFloats, timeGpu, versionWanted, type BenchRow } from './common.js';

interface Case {
  name: string;
  m: number;
  n: number;
  k: number;
  /** B stored as [N, K] (a Linear layer's weight): y = x·Wᵀ */
  transB: boolean;
  /** A stored as [K, M] (dYᵀ in a Linear layer's weight gradient dYᵀ·X) */
  transA?: boolean;
}

export function matmulCases(quick = false): Case[] {
  const cases: Case[] = [
    { name: '256³', m: 256, n: 256, k: 256, transB: false },
    { name: '1024³', m: 1024, n: 1024, k: 1024, transB: false },
  ];
  if (!quick) cases.push({ name: '2048³', m: 2048, n: 2048, k: 2048, transB: false });
  for (const b of quick ? [8] : [8, 128]) {
    cases.push(
      { name: `fc6 b${b} (x·Wᵀ)`, m: b, n: 4096, k: 9216, transB: true },
      { name: `fc7 b${b} (x·Wᵀ)`, m: b, n: 4096, k: 4096, transB: true },
      { name: `fc8 b${b} (x·Wᵀ)`, m: b, n: 1000, k: 4096, transB: true },
    );
  }
  // the data gradients dY·W of the batch-8 fc layers (07_row_stream' case on a CPU driver)
  if (!quick) {
    cases.push(
      { name: 'fc6 b8 dgrad (dY·W)', m: 8, n: 9216, k: 4096, transB: false },
      { name: 'fc7 b8 dgrad (dY·W)', m: 8, n: 4096, k: 4096, transB: false },
      { name: 'fc6 b8 wgrad (dYᵀ·X)', m: 4096, n: 9216, k: 8, transB: false, transA: true },
      { name: 'fc7 b8 wgrad (dYᵀ·X)', m: 4096, n: 4096, k: 8, transB: false, transA: true },
    );
  }
  return cases;
}

/** Max relative error on a sample of rows against the float64 oracle (a full one of 2048³ takes minutes). */
function sampledError(a: Float32Array, b: Float32Array, c: Float32Array, cs: Case): number {
  const rows = Math.min(cs.m, 16);
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    const i = Math.floor((r * cs.m) / rows);
    for (let j = 0; j < cs.n; j++) {
      const s = matmulRefAt(a, b, cs.m, cs.n, cs.k, 0, i, j, cs);
      // relative to the size of the terms, so near-zero sums do not blow up the ratio
      const scale = Math.max(Math.abs(s), Math.sqrt(cs.k) * 0.1);
      worst = Math.max(worst, Math.abs(c[i * cs.n + j]! - s) / scale);
    }
  }
  return worst;
}

export interface MatmulBenchOptions {
  quick?: boolean;
  /** versions to run, by name or kernel file stem ('vec4' or '03_vec4'); default every one matmulVersions() lists */
  versions?: string[];
  /** timed runs per row (median reported); default 5, or 3 above 5 GFLOP */
  runs?: number;
}

export async function benchMatmul(device: Device, opts: MatmulBenchOptions = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // every version in reading order, told apart by kernel file (the names may change, the files do not)
  const versions = matmulVersions().filter((v) => versionWanted(opts.versions, v.name, v.wgsl))
    .map((v) => ({ version: v.name, num: v.wgsl.replace(/^.*\//, '').slice(0, 2), unsupported: v.unsupported }));
  for (const cs of matmulCases(opts.quick)) {
    const aData = randomFloats(cs.m * cs.k, 1);
    const bData = randomFloats(cs.k * cs.n, 2);
    const a = Tensor.fromArray(aData, cs.transA ? [cs.k, cs.m] : [cs.m, cs.k], 'float32', device);
    const [aSm, aSk] = cs.transA ? [1, cs.m] : [cs.k, 1];
    const b = Tensor.fromArray(bData, cs.transB ? [cs.n, cs.k] : [cs.k, cs.n], 'float32', device);
    const c = Tensor.empty([cs.m, cs.n], 'float32', device);
    const flops = 2 * cs.m * cs.n * cs.k;
    const auto = selectMatmul({ m: cs.m, n: cs.n, k: cs.k, batch: 1, aSm, aSk, bSk: cs.transB ? 1 : cs.n, bSn: cs.transB ? cs.k : 1 }, device);
    for (const { version, num, unsupported } of versions) {
      const shape = `${cs.m}x${cs.n}x${cs.k}`;
      // a layout or an adapter the version cannot take (08/09: K a multiple of 4; 09: subgroups of 8)
      const why = unsupported({ m: cs.m, n: cs.n, k: cs.k, batch: 1, aSm, aSk, bSk: cs.transB ? 1 : cs.n, bSn: cs.transB ? cs.k : 1 }, device);
      if (why && (num === '08' || num === '09')) {
        rows.push({ bench: `matmul ${cs.name}`, shape, version, ms: NaN, gflops: NaN, maxRelError: null, note: `skipped: ${why}` });
        continue;
      }
      if (num === '04' && cs.m > 128) continue; // split-K: made for few rows; see its header
      if (num === '07' && cs.transB) continue; // 07: B as [K, N] only
      if (num === '03' && cs.transA && cs.transB) continue;
      const naive = num === '01';
      if (naive && flops > 2.2e9) {
        rows.push({ bench: `matmul ${cs.name}`, shape, version, ms: NaN, gflops: NaN, maxRelError: null, note: 'skipped: naive is too slow at this size' });
        continue;
      }
      const record = () =>
        gemm({
          m: cs.m, n: cs.n, k: cs.k, batch: 1,
          a, aOff: 0, aSm, aSk, aSb: 0,
          b, bOff: 0, bSk: cs.transB ? 1 : cs.n, bSn: cs.transB ? cs.k : 1, bSb: 0,
          c, cOff: 0, cSm: cs.n, cSb: 0,
          alpha: 1, accumulate: false, bias: null, relu: false,
        }, version);
      const runs = opts.runs ?? (flops > 5e9 ? 3 : 5);
      const ms = await timeGpu(device, record, naive ? 1 : runs, 1);
      const out = await c.data();
      const err = sampledError(aData, bData, out, cs);
      const chunked = b.byteLength > device.maxBinding ? 'B split (> 1 binding); ' : '';
      rows.push({
        bench: `matmul ${cs.name}`, shape, version, ms, gflops: flops / ms / 1e6, maxRelError: err,
        note: chunked + (auto.version === version ? 'default' : ''),
      });
    }
    a.dispose();
    b.dispose();
    c.dispose();
  }
  return rows;
}
