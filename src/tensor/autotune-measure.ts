// SPDX-License-Identifier: MIT
// Autotuning, the measuring: for each recorded problem (autotune-table.ts), runs every kernel
// version that can run it on seeded random inputs, checks its result against the version
// the fixed rule picks, times the ones that match (timestamp queries, median of `runs`
// after a warm-up) and keeps the fastest. The result is a table of TuneEntry for
// setTuneCache(); the CLI's `alexnet tune` saves it per adapter (src/node/autotune-cache.ts).

import {
  type ConvProblem, type GemmProblem, type RecordedProblem, type TuneEntry,
} from './autotune-table.js';
import type { Device } from './device.js';
import {
  ALL_CONV_VERSIONS, ALL_DGRAD_VERSIONS, ALL_WGRAD_VERSIONS, conv2d, conv2dBackwardData, conv2dBackwardWeight,
  ruleConv2d, ruleConv2dBackwardData, ruleConv2dBackwardWeight, type ConvShape, type ConvVersion, type DgradVersion, type WgradVersion,
} from './ops/conv2d/index.js';
import { fill_, rand } from './ops/elementwise.js';
import { gemm, MATMUL_VERSIONS, ruleMatmul, type Gemm, type MatmulVersion } from './ops/matmul/index.js';
import { keep, tidy } from './scope.js';
import { noGrad, Tensor } from './tensor.js';
import { timeGpu } from './timing.js';

export interface TuneOptions {
  /** timed runs per version (median), after one warm-up run (default 3) */
  runs?: number;
  /**
   * also try the naive versions, 01_naive (default false: they are slower by orders of
   * magnitude on real shapes; the rule still picks them for tiny problems)
   */
  includeNaive?: boolean;
  /** a version's result may differ from the rule's by this much of the result's largest magnitude (default 2e-3) */
  tolerance?: number;
  /** progress lines */
  log?: (s: string) => void;
}

interface Runner {
  rule: string;
  versions: readonly string[];
  /** records the op with this version; returns its result (a new tensor) */
  run: (version: string) => Tensor;
  /** records the op with this version and nothing else, for timing (no result kept) */
  record: (version: string) => void;
  dispose: () => void;
}

function convRunner(device: Device, op: 'conv2d' | 'conv2d.dgrad' | 'conv2d.wgrad', s: ConvProblem): Runner {
  const hyper = { stride: [s.sh, s.sw] as [number, number], padding: [s.ph, s.pw] as [number, number], dilation: [s.dh, s.dw] as [number, number], groups: s.groups };
  const xShape = [s.n, s.c, s.h, s.w];
  const wShape = [s.k, s.c / s.groups, s.kh, s.kw];
  const x = keep(rand(xShape, { low: -1, high: 1, seed: 1, device }));
  const w = keep(rand(wShape, { low: -1, high: 1, seed: 2, device }));
  const b = keep(rand([s.k], { low: -1, high: 1, seed: 3, device }));
  const dy = keep(rand([s.n, s.k, s.oh, s.ow], { low: -1, high: 1, seed: 4, device }));
  const shape = s as ConvShape;
  const common = {
    dispose: () => [x, w, b, dy].forEach((t) => t.dispose()),
    record(this: Runner, v: string) {
      tidy(() => noGrad(() => { this.run(v); }));
    },
  };
  if (op === 'conv2d') {
    return { ...common, rule: ruleConv2d(shape, device).version, versions: ALL_CONV_VERSIONS,
      run: (v) => conv2d(x, w, b, { ...hyper, version: v as ConvVersion }) };
  }
  if (op === 'conv2d.dgrad') {
    return { ...common, rule: ruleConv2dBackwardData(shape, device).version, versions: ALL_DGRAD_VERSIONS,
      run: (v) => conv2dBackwardData(dy, w, xShape, { ...hyper, version: v as DgradVersion }) };
  }
  return { ...common, rule: ruleConv2dBackwardWeight(shape, device).version, versions: ALL_WGRAD_VERSIONS,
    run: (v) => conv2dBackwardWeight(x, dy, wShape, { ...hyper, version: v as WgradVersion }) };
}

function gemmRunner(device: Device, p: GemmProblem): Runner {
  const last = (off: number, ...terms: number[]) => off + terms.reduce((s, t) => s + t, 0) + 1;
  const aLen = last(p.aOff, (p.batch - 1) * p.aSb, (p.m - 1) * p.aSm, (p.k - 1) * p.aSk);
  const bLen = last(p.bOff, (p.batch - 1) * p.bSb, (p.k - 1) * p.bSk, (p.n - 1) * p.bSn);
  const cLen = last(p.cOff, (p.batch - 1) * p.cSb, (p.m - 1) * p.cSm, p.n - 1);
  const a = keep(rand([aLen], { low: -1, high: 1, seed: 5, device }));
  const b = keep(rand([bLen], { low: -1, high: 1, seed: 6, device }));
  const bias = p.bias ? keep(rand([p.n], { low: -1, high: 1, seed: 7, device })) : null;
  const g = (c: Tensor): Gemm => ({ ...p, a, b, c, alpha: 1, accumulate: false, bias, relu: p.relu });
  const timedC = keep(Tensor.empty([cLen], 'float32', device)); // timing: overwritten, never compared
  return {
    rule: ruleMatmul(g(a), device).version,
    versions: MATMUL_VERSIONS,
    run: (v) => {
      // C's elements between the strided rows stay 0 for every version, so results compare whole
      const c = fill_(Tensor.empty([cLen], 'float32', device), 0);
      gemm(g(c), v as MatmulVersion);
      return c;
    },
    record: (v) => gemm(g(timedC), v as MatmulVersion),
    dispose: () => [a, b, bias, timedC].forEach((t) => t?.dispose()),
  };
}

async function maxDiff(a: Tensor, b: Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < x.length; i++) {
    scale = Math.max(scale, Math.abs(y[i]!));
    const d = Math.abs(x[i]! - y[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
  }
  return diff / Math.max(scale, 1e-30);
}

/** Tunes one problem: the entry (choice, rule, times, skipped versions). */
export async function tuneProblem(device: Device, p: RecordedProblem, opts: TuneOptions = {}): Promise<TuneEntry> {
  const runs = opts.runs ?? 3;
  const tol = opts.tolerance ?? 2e-3;
  const r = p.op === 'matmul' ? gemmRunner(device, p.gemm) : convRunner(device, p.op, p.shape);
  const ms: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  try {
    const ref = keep(noGrad(() => r.run(r.rule)));
    for (const v of r.versions) {
      // the naive versions (01_naive of matmul and of conv2d) are slow: only on request
      const naive = v === '01_naive';
      if (naive && !opts.includeNaive && r.rule !== v) continue;
      let out: Tensor;
      try {
        out = keep(noGrad(() => r.run(v)));
        await device.sync(); // a validation error of this version surfaces here
      } catch (e) {
        device.takeErrors();
        skipped[v] = (e as Error).message.split('\n')[0]!;
        continue;
      }
      const d = v === r.rule ? 0 : await maxDiff(out, ref);
      out.dispose();
      if (!(d <= tol)) {
        skipped[v] = `its result differs from ${r.rule}'s by ${d.toExponential(1)} of the largest value`;
        continue;
      }
      ms[v] = await timeGpu(device, () => r.record(v), runs, 1);
    }
    ref.dispose();
  } finally {
    r.dispose();
  }
  const fastest = Object.entries(ms).sort((a, b) => a[1] - b[1])[0];
  const entry: TuneEntry = { choice: fastest ? fastest[0] : r.rule, rule: r.rule, ms };
  if (Object.keys(skipped).length) entry.skipped = skipped;
  opts.log?.(`${p.key}: ${entry.choice}${entry.choice === entry.rule ? ' (= rule)' : ` (rule: ${entry.rule})`}  ` +
    Object.entries(ms).map(([v, t]) => `${v} ${t.toFixed(2)} ms`).join(', '));
  return entry;
}

/** Tunes every problem; returns the entries by problem key. */
export async function tuneProblems(device: Device, problems: readonly RecordedProblem[], opts: TuneOptions = {}): Promise<Record<string, TuneEntry>> {
  const out: Record<string, TuneEntry> = {};
  for (const p of problems) out[p.key] = await tuneProblem(device, p, opts);
  return out;
}

