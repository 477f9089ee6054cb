// SPDX-License-Identifier: MIT
// The Kernel lab's measurements, without the page: every conv2d version (forward, data
// gradient, weight gradient) or every matmul version on one problem, each timed on the GPU
// and checked against the float64 CPU oracle of src/tensor/reference/. The error is
// max |GPU − oracle| / max |oracle| (over the whole output, or a seeded sample of a large one).
import {
  Tensor,
  conv2d,
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dVersions,
  convFlops,
  convShape,
  getDevice,
  matmul,
  matmulVersions,
  selectConv2d,
  selectMatmul,
  timeGpu,
  type ConvPass,
  type ConvShape,
  type MatmulVersion,
} from '../src/index.js';
import { selectConv2dBackwardData, selectConv2dBackwardWeight } from '../src/tensor/ops/conv2d/index.js';
import { conv2dDataGradRefAt, conv2dRefAt, conv2dWeightGradRefAt, matmulRefAt, randomArray } from '../src/tensor/reference/index.js';

/** n seeded uniform numbers in [0, 1) */
const uniform = (n: number, seed: number) => randomArray(n, seed, 0, 1);

export interface ConvSpec {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  /** square kernel side */
  r: number;
  stride: number;
  pad: number;
}

/** AlexNet's five conv layers (the paper's 227 px input, no groups), batch 1. */
export const ALEXNET_CONV: Record<string, ConvSpec> = {
  conv1: { n: 1, c: 3, h: 227, w: 227, k: 96, r: 11, stride: 4, pad: 0 },
  conv2: { n: 1, c: 96, h: 27, w: 27, k: 256, r: 5, stride: 1, pad: 2 },
  conv3: { n: 1, c: 256, h: 13, w: 13, k: 384, r: 3, stride: 1, pad: 1 },
  conv4: { n: 1, c: 384, h: 13, w: 13, k: 384, r: 3, stride: 1, pad: 1 },
  conv5: { n: 1, c: 384, h: 13, w: 13, k: 256, r: 3, stride: 1, pad: 1 },
};

/** "n=1 c=3 h=16 w=16 k=8 r=3 stride=1 pad=1" (any order; missing keys from `base`). */
export function parseConvSpec(text: string, base: ConvSpec = { n: 1, c: 3, h: 16, w: 16, k: 8, r: 3, stride: 1, pad: 1 }): ConvSpec {
  const spec = { ...base };
  for (const part of text.trim().split(/[\s,]+/).filter(Boolean)) {
    const m = /^(n|c|h|w|k|r|stride|pad)=(\d+)$/.exec(part);
    if (!m) throw new Error(`kernel lab: cannot read "${part}"; write e.g. n=1 c=3 h=16 w=16 k=8 r=3 stride=1 pad=1`);
    spec[m[1] as keyof ConvSpec] = Number(m[2]);
  }
  return spec;
}

export interface LabRow {
  version: string;
  pass: ConvPass | 'matmul';
  /** null when the version cannot run this problem (then `unsupported` says why) */
  ms: number | null;
  gflops: number | null;
  error: number | null;
  unsupported?: string;
  wgsl: readonly string[];
  note?: string;
}

export interface LabResult {
  problem: string;
  rows: LabRow[];
  /** what the selector picks for each pass, and why */
  choices: { pass: string; version: string; why: string }[];
}

/** Error over the whole output when it has at most this many values; a seeded sample of this many otherwise. */
const FULL_CHECK = 20_000;

function maxError(got: Float32Array, dims: readonly number[], oracle: (idx: number[]) => number): number {
  const total = got.length;
  const idxOf = (flat: number) => {
    const idx = new Array<number>(dims.length);
    for (let d = dims.length - 1; d >= 0; d--) {
      idx[d] = flat % dims[d]!;
      flat = Math.floor(flat / dims[d]!);
    }
    return idx;
  };
  const picks = total <= FULL_CHECK ? Array.from({ length: total }, (_, i) => i) : Array.from(uniform(FULL_CHECK, 99), (u) => Math.floor(u * total));
  let worst = 0;
  let scale = 0;
  for (const i of picks) {
    const want = oracle(idxOf(i));
    const d = Math.abs(got[i]! - want);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    scale = Math.max(scale, Math.abs(want));
  }
  return worst / Math.max(scale, 1e-30);
}

/** Runs every conv2d version (or those in `only`) and pass on `spec`; `repeats` timed runs each (median). */
export async function runConvLab(
  spec: ConvSpec,
  repeats = 3,
  onRow?: (row: LabRow) => void,
  /** run only these version names (default: all) */
  only?: readonly string[],
): Promise<LabResult> {
  const d = getDevice();
  const xs = [spec.n, spec.c, spec.h, spec.w];
  const ws = [spec.k, spec.c, spec.r, spec.r];
  const hyper = { stride: spec.stride, padding: spec.pad };
  const s: ConvShape = convShape(xs, ws, hyper);
  const ys = [s.n, s.k, s.oh, s.ow];
  // float32 inputs, and the oracle reads the same float32 values in float64
  const x = Float32Array.from(uniform(s.n * s.c * s.h * s.w, 1), (u) => 2 * u - 1);
  const w = Float32Array.from(uniform(s.k * s.c * s.kh * s.kw, 2), (u) => (2 * u - 1) * 0.1);
  const b = Float32Array.from(uniform(s.k, 3), (u) => 2 * u - 1);
  const dy = Float32Array.from(uniform(s.n * s.k * s.oh * s.ow, 4), (u) => 2 * u - 1);
  const gflop = convFlops(s) / 1e9;
  const rows: LabRow[] = [];
  const X = Tensor.fromArray(x, xs);
  const W = Tensor.fromArray(w, ws);
  const B = Tensor.fromArray(b, [s.k]);
  const DY = Tensor.fromArray(dy, ys);
  try {
    for (const v of conv2dVersions().filter((v) => !only || only.includes(v.name))) {
      const why = v.unsupported(s);
      const base = { version: v.name, pass: v.pass, wgsl: v.wgsl, ...(v.note ? { note: v.note } : {}) };
      if (why) {
        const row: LabRow = { ...base, ms: null, gflops: null, error: null, unsupported: why };
        rows.push(row);
        onRow?.(row);
        continue;
      }
      const run = (): Tensor =>
        v.pass === 'forward'
          ? conv2d(X, W, B, { ...hyper, version: v.name })
          : v.pass === 'dgrad'
            ? conv2dBackwardData(DY, W, xs, { ...hyper, version: v.name as never })
            : conv2dBackwardWeight(X, DY, ws, { ...hyper, version: v.name as never });
      let out: Tensor | null = null;
      const ms = await timeGpu(d, () => {
        out?.dispose();
        out = run();
      }, repeats, 1);
      const got = await (out as unknown as Tensor).data();
      (out as unknown as Tensor).dispose();
      const error =
        v.pass === 'forward'
          ? maxError(got, ys, ([n, co, oy, ox]) => conv2dRefAt(s, x, w, b, n!, co!, oy!, ox!))
          : v.pass === 'dgrad'
            ? maxError(got, xs, ([n, c, iy, ix]) => conv2dDataGradRefAt(s, dy, w, n!, c!, iy!, ix!))
            : maxError(got, ws, ([co, ci, ky, kx]) => conv2dWeightGradRefAt(s, x, dy, co!, ci!, ky!, kx!));
      const row: LabRow = { ...base, ms, gflops: gflop / (ms / 1e3), error };
      rows.push(row);
      onRow?.(row);
    }
  } finally {
    for (const t of [X, W, B, DY]) t.dispose();
  }
  const problem = `x [${xs.join(', ')}], w [${ws.join(', ')}], stride ${spec.stride}, padding ${spec.pad} -> y [${ys.join(', ')}]; ${gflop.toFixed(4)} GFLOP per pass`;
  const choices = [
    { pass: 'forward', ...selectConv2d(s, d) },
    { pass: 'dgrad', ...selectConv2dBackwardData(s, d) },
    { pass: 'wgrad', ...selectConv2dBackwardWeight(s, d) },
  ];
  return { problem, rows, choices };
}

export interface MatmulSpec {
  m: number;
  n: number;
  k: number;
}

/** Runs every matmul version on C[m, n] = A[m, k] · B[k, n]. */
export async function runMatmulLab(spec: MatmulSpec, repeats = 3, onRow?: (row: LabRow) => void): Promise<LabResult> {
  const d = getDevice();
  const { m, n, k } = spec;
  const a = Float32Array.from(uniform(m * k, 5), (u) => 2 * u - 1);
  const bm = Float32Array.from(uniform(k * n, 6), (u) => 2 * u - 1);
  const A = Tensor.fromArray(a, [m, k]);
  const B = Tensor.fromArray(bm, [k, n]);
  const gflop = (2 * m * n * k) / 1e9;
  const rows: LabRow[] = [];
  try {
    for (const v of matmulVersions()) {
      const base = { version: v.name, pass: 'matmul' as const, wgsl: [v.wgsl] };
      const why = v.unsupported({ m, n, k, batch: 1 }, d); // 09 also needs subgroups of 8 on this adapter
      if (why) {
        const row: LabRow = { ...base, ms: null, gflops: null, error: null, unsupported: why };
        rows.push(row);
        onRow?.(row);
        continue;
      }
      let out: Tensor | null = null;
      const ms = await timeGpu(d, () => {
        out?.dispose();
        out = matmul(A, B, { version: v.name as MatmulVersion });
      }, repeats, 1);
      const got = await (out as unknown as Tensor).data();
      (out as unknown as Tensor).dispose();
      const error = maxError(got, [m, n], ([i, j]) => matmulRefAt(a, bm, m, n, k, 0, i!, j!));
      const row: LabRow = { ...base, ms, gflops: gflop / (ms / 1e3), error };
      rows.push(row);
      onRow?.(row);
    }
  } finally {
    A.dispose();
    B.dispose();
  }
  return { problem: `A [${m}, ${k}] · B [${k}, ${n}]; ${gflop.toFixed(4)} GFLOP`, rows, choices: [{ pass: 'matmul', ...selectMatmul({ m, n, k, batch: 1 }, d) }] };
}
