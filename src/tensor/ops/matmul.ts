// SPDX-License-Identifier: MIT
// Matrix multiplication: C = op(A)·op(B) (+ bias, ReLU), batched, with transposed operands
// read through strides. Versions (src/kernels/wgsl/matmul/): 01_naive, 02_register_blocked,
// 03_vec4; `selectMatmul` picks one and can say why. Operands larger than one storage
// binding (AlexNet's fc6 weight is 151 MB, lavapipe binds at most 128 MiB) are split into
// blocks along M, N or K; K blocks accumulate into C.

import type { Device } from '../device.js';
import { fmtShape, record, Tensor } from '../tensor.js';
import { gradTarget } from '../autograd.js';
import { gemmKey, noteProblem, tunedChoice, type GemmProblem } from '../autotune.js';
import { reluBackward } from './elementwise.js';
import { sumAxes } from './reduce.js';
import { assertFloat, assertSameDevice, outOrEmpty, sameShape } from './util.js';

export type MatmulVersion = 'naive' | 'blocked' | 'vec4' | 'splitk' | 'tiled' | 'prefetch' | 'stream';
export const MATMUL_VERSIONS: readonly MatmulVersion[] = ['naive', 'blocked', 'vec4', 'splitk', 'tiled', 'prefetch', 'stream'];
export const MATMUL_KERNELS: Record<MatmulVersion, string> = {
  naive: 'matmul/01_naive.wgsl',
  blocked: 'matmul/02_register_blocked.wgsl',
  vec4: 'matmul/03_vec4.wgsl',
  splitk: 'matmul/04_splitk_dot.wgsl',
  tiled: 'matmul/05_tiled.wgsl',
  prefetch: 'matmul/06_tiled_prefetch.wgsl',
  stream: 'matmul/07_row_stream.wgsl',
};

/** The workgroup-memory kernels (05, 06): same parameters, same extras. */
const isTiled = (v: MatmulVersion) => v === 'tiled' || v === 'prefetch';

/**
 * Which workgroup-memory kernel the selectors use (05 or 06) and 06's K step. Exported so
 * the benchmark can compare them (`--gemm`, `--bk`); 06 with K steps of 8 measured best.
 */
export const GPU_GEMM: { version: 'tiled' | 'prefetch'; bk: 8 | 16 } = { version: 'prefetch', bk: 8 };

/** One GEMM problem in element strides; C rows are contiguous (c_sn = 1). */
export interface Gemm {
  m: number; n: number; k: number; batch: number;
  a: Tensor; aOff: number; aSm: number; aSk: number; aSb: number;
  b: Tensor; bOff: number; bSk: number; bSn: number; bSb: number;
  c: Tensor; cOff: number; cSm: number; cSb: number;
  alpha: number;
  accumulate: boolean;
  bias: Tensor | null;
  relu: boolean;
  // Only 05 and 06 handle the next five (the convolution's GEMMs use them; see 05's header):
  /** bias[biasOff + m] (one per row) instead of bias[n] */
  biasRow?: boolean;
  biasOff?: number;
  /** store column n of C at (n / fold) * cSf + n % fold */
  fold?: number;
  cSf?: number;
  /** split-K: batch counts K slices of `k` each over kTotal (aSb = bSb = 0), C gets one partial per slice */
  kTotal?: number;
}

function special(g: Gemm): boolean {
  return !!(g.biasRow || g.fold || g.kTotal);
}

/** The element index of column n of C relative to a row start (folded stores, see 05). */
function cCol(g: Gemm, n: number): number {
  return g.fold ? Math.floor(n / g.fold) * (g.cSf ?? 0) + (n % g.fold) : n;
}

export interface Choice<V> {
  version: V;
  why: string;
}

/**
 * 07_row_stream's workgroup (invocations, a multiple of 8) and vec4 columns per invocation. On
 * lavapipe, batch-8 fc data gradients: WG 8 / CN 4 was best of WG 8-64 x CN 1-8 (fc7 14.9 ms,
 * fc6-sized 46 ms at K 3072, against 15-23 and 48-90 for the others); the weight gradients
 * were the same within 10% for every WG 8-16 x CN 2-8.
 */
export const STREAM_TUNING = { wg: 8, cn: 4 };

/** Why 07_row_stream cannot take a problem (null: it can): B as [K, N] and C, both 4-aligned. */
export function streamUnsupported(g: Pick<Gemm, 'm' | 'n' | 'bOff' | 'bSk' | 'bSn' | 'bSb' | 'cOff' | 'cSm' | 'cSb'>): string | null {
  if (g.m > 8 * 65535) return `M=${g.m} needs more than 65535 workgroup rows`;
  if (g.bSn !== 1 || g.bSk % 4 || g.bOff % 4 || g.bSb % 4) return "B is not [K, N] with rows at multiples of 4";
  if (g.n % 4 || g.cSm % 4 || g.cOff % 4 || g.cSb % 4) return `N=${g.n} or C's layout is not a multiple of 4`;
  return null;
}

/** Throws, naming the op and the product, when 07_row_stream cannot take it. */
function assertStream(g: Parameters<typeof streamUnsupported>[0], k: number): void {
  const bad = streamUnsupported(g);
  if (bad) throw new Error(`matmul: version 'stream' (07_row_stream) cannot take this ${g.m}x${g.n}x${k} product: ${bad}`);
}

/** Throws, naming the op and the product, when 03_vec4 cannot take it (it would read wrong values). */
function assertVec4(g: Parameters<typeof vec4Ok>[0]): void {
  const bad = vec4Ok(g);
  if (bad) throw new Error(`matmul: version 'vec4' (03_vec4) cannot take this ${g.m}x${g.n}x${g.k} product: ${bad}`);
}

function vec4Ok(g: Pick<Gemm, 'm' | 'n' | 'k' | 'aOff' | 'aSm' | 'aSk' | 'aSb' | 'bOff' | 'bSk' | 'bSn' | 'bSb' | 'cOff' | 'cSm' | 'cSb'>): string | null {
  const ta = g.aSm === 1 && g.aSk !== 1;
  const tb = g.bSk === 1 && g.bSn !== 1;
  if (ta && tb) return 'both operands transposed';
  if (g.n % 4 || g.cSm % 4 || g.cOff % 4 || g.cSb % 4) return `N=${g.n} or C's layout is not a multiple of 4`;
  if (g.n < 4) return `N=${g.n} < 4`;
  if (!ta && (g.k % 4 || g.aSm % 4 || g.aOff % 4 || g.aSb % 4 || g.aSk !== 1)) return `K=${g.k} or A's rows are not a multiple of 4`;
  if (ta && (g.m % 4 || g.m < 4 || g.aSk % 4 || g.aOff % 4 || g.aSb % 4)) return `M=${g.m} is not a multiple of 4 for Aᵀ`;
  if (!tb && (g.bSn !== 1 || g.bSk % 4 || g.bOff % 4 || g.bSb % 4)) return `B's rows are not a multiple of 4`;
  if (tb && (g.k % 4 || g.bSn % 4 || g.bOff % 4 || g.bSb % 4)) return `K=${g.k} is not a multiple of 4 for Bᵀ`;
  return null;
}

/**
 * Picks the matmul version for a problem on a device, with the reason (BENCHMARKS.md has
 * the measurements behind each rule):
 * - per-row bias, folded stores or split-K slices (the convolution's GPU path): 05/06;
 * - on a GPU adapter, few outputs over a long K (AlexNet's fc layers at small batch):
 *   04_splitk (on lavapipe 03 with flat workgroups beat it on every fc shape);
 * - on a CPU driver, at most 8 rows or K <= 8 with B as [K, N] (a small batch's fc data and
 *   weight gradients): 07_row_stream;
 * - at least 128x128 outputs and K >= 64: 06_tiled_prefetch (GPU_GEMM), on any adapter;
 * - else 03_vec4 whenever the layout allows vec4 loads, else 02_register_blocked, and
 *   01_naive only for tiny outputs where 4x4 blocks would leave most of the GPU idle.
 * Without a device (a pure question about shapes) the adapter-specific rules are skipped.
 */
export function selectMatmul(g: Pick<Gemm, 'm' | 'n' | 'k' | 'batch'> & Partial<Gemm>, device?: Device): Choice<MatmulVersion> {
  const full = fullGemm(g);
  if (device && !special(full)) {
    const problem = gemmProblem(full);
    const key = gemmKey(problem);
    noteProblem({ op: 'matmul', key, gemm: problem });
    const tuned = tunedChoice(device, key, MATMUL_VERSIONS);
    if (tuned) return tuned;
  }
  return ruleMatmul(g, device);
}

function fullGemm(g: Pick<Gemm, 'm' | 'n' | 'k' | 'batch'> & Partial<Gemm>): Gemm {
  return { aOff: 0, bOff: 0, cOff: 0, aSb: 0, bSb: 0, cSb: 0, aSm: g.k, aSk: 1, bSk: g.n, bSn: 1, cSm: g.n, ...g } as Gemm;
}

/** A GEMM's shape and layout without its tensors (the autotuner's problem). */
export function gemmProblem(g: Gemm): GemmProblem {
  return {
    m: g.m, n: g.n, k: g.k, batch: g.batch,
    aOff: g.aOff % 4, aSm: g.aSm, aSk: g.aSk, aSb: g.aSb,
    bOff: g.bOff % 4, bSk: g.bSk, bSn: g.bSn, bSb: g.bSb,
    cOff: g.cOff % 4, cSm: g.cSm, cSb: g.cSb,
    bias: !!g.bias, relu: g.relu,
  };
}

/** The fixed rule behind selectMatmul (what it picks without an autotuned entry). */
export function ruleMatmul(g: Pick<Gemm, 'm' | 'n' | 'k' | 'batch'> & Partial<Gemm>, device?: Device): Choice<MatmulVersion> {
  const full = fullGemm(g);
  const outputs = g.m * g.n * g.batch;
  if (special(full)) return { version: GPU_GEMM.version, why: `${GPU_GEMM.version}: only 05/06 have per-row bias, folded stores and split-K slices` };
  if (outputs < 64) return { version: 'naive', why: `naive: only ${outputs} outputs, too few to share out in 4x4 blocks` };
  if (device && !device.info.isCpu && g.m <= 128 && outputs <= 16384 && g.k >= 1024) {
    return { version: 'splitk', why: `splitk: only ${outputs} outputs of K=${g.k} (a GPU adapter: the K loop is shared by a workgroup; measured 2-5x faster than 03 on AlexNet's small fc shapes on an H100)` };
  }
  if (device && device.info.isCpu && (g.m <= 8 || g.k <= 8) && g.n >= 256 && streamUnsupported(full) === null) {
    const what = g.m <= 8 ? `${g.m} rows` : `K=${g.k}`;
    return { version: 'stream', why: `stream: ${what} and a [K, N] B on a CPU driver: 07 streams 512 contiguous bytes of each B and C row per SIMD batch (on lavapipe 1.1-2.3x faster than 03 for AlexNet's batch-8 fc gradients)` };
  }
  if (device && g.m >= 128 && g.n >= 128 && g.k >= 64) {
    return { version: GPU_GEMM.version, why: `${GPU_GEMM.version}: ${g.m}x${g.n} outputs fill 128x128 workgroup-memory tiles (measured faster than 03 for such GEMMs on lavapipe, e.g. 13.3 vs 8.8 GFLOP/s at 2048³, and on an H100)` };
  }
  const bad = vec4Ok(full);
  if (bad === null) return { version: 'vec4', why: 'vec4: 4x4 register block with vec4 loads (layout is 4-aligned)' };
  return { version: 'blocked', why: `register-blocked: 4x4 block with scalar loads, because ${bad}` };
}

/** Records one GEMM dispatch; the operands must each fit one binding. */
function dispatchGemm(d: Device, g: Gemm, version: MatmulVersion): void {
  // Bind each operand from an aligned element offset just below its first used element.
  const alignElems = d.alignment / 4;
  const span = (t: Tensor, off: number, last: number) => {
    const start = Math.floor(off / alignElems) * alignElems;
    return { binding: { buffer: t.buffer, offset: t.byteOffset + start * 4, size: Math.max(4, (last + 1 - start) * 4) }, rel: off - start };
  };
  if (special(g) && !isTiled(version)) throw new Error(`matmul: version '${version}' has no per-row bias, folded store or split-K (only 'tiled' and 'prefetch')`);
  if (version === 'vec4') assertVec4(g);
  const kExtent = g.kTotal || g.k;
  const aLast = g.aOff + (g.batch - 1) * g.aSb + (g.m - 1) * g.aSm + (kExtent - 1) * g.aSk;
  const bLast = g.bOff + (g.batch - 1) * g.bSb + (kExtent - 1) * g.bSk + (g.n - 1) * g.bSn;
  const cLast = g.cOff + (g.batch - 1) * g.cSb + (g.m - 1) * g.cSm + cCol(g, g.n - 1);
  const A = span(g.a, g.aOff, aLast);
  const B = span(g.b, g.bOff, bLast);
  const C = span(g.c, g.cOff, cLast);
  const bias = g.bias ? { buffer: g.bias.buffer, offset: g.bias.byteOffset, size: g.bias.byteLength } : { buffer: d.dummy, offset: 0, size: 16 };
  const params = [
    { u: g.m }, { u: g.n }, { u: g.k }, { u: g.batch },
    { u: g.aSm }, { u: g.aSk }, { u: g.bSk }, { u: g.bSn },
    { u: g.cSm }, { u: g.aSb }, { u: g.bSb }, { u: g.cSb },
    { u: A.rel }, { u: B.rel }, { u: C.rel }, { f: g.alpha },
  ];
  const constants: Record<string, number> = {
    ACCUMULATE: g.accumulate ? 1 : 0,
    EPILOGUE: g.bias ? (g.relu ? 2 : 1) : 0,
  };
  let wg: [number, number, number];
  if (isTiled(version)) {
    params.push({ u: g.fold ?? 0 }, { u: g.cSf ?? 0 }, { u: g.kTotal ?? 0 }, { u: g.biasOff ?? 0 });
    constants.BIAS_ROW = g.biasRow ? 1 : 0;
    if (version === 'prefetch') constants.BK = GPU_GEMM.bk;
    constants.TA = g.aSm === 1 && g.aSk !== 1 ? 1 : 0;
    constants.TB = g.bSk === 1 && g.bSn !== 1 ? 1 : 0;
    wg = [Math.ceil(g.n / 128), Math.ceil(g.m / 128), g.batch];
  } else if (version === 'stream') {
    assertStream(g, g.k);
    constants.WG = STREAM_TUNING.wg;
    constants.CN = STREAM_TUNING.cn;
    constants.RM = g.m <= 4 ? 4 : 8;
    wg = [Math.ceil(g.n / 4 / (STREAM_TUNING.wg * STREAM_TUNING.cn)), Math.ceil(g.m / constants.RM), g.batch];
  } else if (version === 'naive') {
    wg = [Math.ceil(g.n / 8), Math.ceil(g.m / 8), g.batch];
  } else if (version === 'splitk') {
    wg = [Math.ceil(g.n / 4), Math.ceil(g.m / 8), g.batch];
  } else {
    // 64 invocations of 4x4 blocks; few rows (a small batch) get a wide, flat workgroup so
    // no invocation computes clamped duplicate rows
    const wy = g.m <= 4 ? 1 : g.m <= 8 ? 2 : g.m <= 16 ? 4 : 8;
    const wx = 64 / wy;
    constants.WG_X = wx;
    constants.WG_Y = wy;
    wg = [Math.ceil(g.n / (4 * wx)), Math.ceil(g.m / (4 * wy)), g.batch];
    if (version === 'vec4') {
      constants.TA = g.aSm === 1 && g.aSk !== 1 ? 1 : 0;
      constants.TB = g.bSk === 1 && g.bSn !== 1 ? 1 : 0;
      if (!constants.TA && !constants.TB && g.m > 4 && g.m <= 8) {
        // 8 rows per invocation: B (a batch-8 fc data gradient's weight) is read once, not twice
        constants.RM = 8;
        constants.WG_X = 64;
        constants.WG_Y = 1;
        wg = [Math.ceil(g.n / 256), 1, g.batch];
      }
    }
  }
  if (g.relu && !g.bias) throw new Error('matmul: the ReLU epilogue needs a bias');
  d.dispatch(MATMUL_KERNELS[version], [A.binding, B.binding, bias, C.binding], params, wg, constants);
}

function spanBytes(off: number, last: number): number {
  return (last - off + 1) * 4;
}

/**
 * Runs a GEMM, splitting it into blocks when an operand is larger than one storage binding.
 * Splits happen at multiples of 4 so every block keeps the alignment vec4 needs.
 */
export function gemm(g: Gemm, version?: MatmulVersion): void {
  const d = g.c.device;
  const limit = d.maxBinding;
  const kExtent = g.kTotal || g.k;
  const aBytes = spanBytes(g.aOff, g.aOff + (g.batch - 1) * g.aSb + (g.m - 1) * g.aSm + (kExtent - 1) * g.aSk);
  const bBytes = spanBytes(g.bOff, g.bOff + (g.batch - 1) * g.bSb + (kExtent - 1) * g.bSk + (g.n - 1) * g.bSn);
  const cBytes = spanBytes(g.cOff, g.cOff + (g.batch - 1) * g.cSb + (g.m - 1) * g.cSm + cCol(g, g.n - 1));
  // alignment slack: a block may start up to one alignment unit before its first element
  const fits = (bytes: number) => bytes + d.alignment <= limit;
  if (fits(aBytes) && fits(bBytes) && fits(cBytes)) {
    dispatchGemm(d, g, version ?? selectMatmul(g, d).version);
    return;
  }
  if (special(g)) throw new Error(`matmul: a ${g.m}x${g.n}x${kExtent} GEMM with a folded store or split-K must fit one binding per operand (the caller chunks it)`);
  // halves stay multiples of 4 so vec4 offsets stay aligned (binding offsets are aligned
  // down in dispatchGemm and the remainder travels as an element offset)
  const half = (x: number) => Math.max(4, Math.ceil(x / 2 / 4) * 4);
  if (g.batch > 1) {
    const b1 = Math.ceil(g.batch / 2);
    gemm({ ...g, batch: b1 }, version);
    gemm({ ...g, batch: g.batch - b1, aOff: g.aOff + b1 * g.aSb, bOff: g.bOff + b1 * g.bSb, cOff: g.cOff + b1 * g.cSb }, version);
    return;
  }
  // Split the dimension that shrinks the largest operand most: C (and A or B) along M or N,
  // or A and B along K, accumulating the second K block into the first.
  const mSpan = Math.max((g.m - 1) * g.aSm * 4, (g.m - 1) * g.cSm * 4);
  const nSpan = Math.max((g.n - 1) * g.bSn * 4, (g.n - 1) * 4);
  const kSpan = Math.max((g.k - 1) * g.aSk * 4, (g.k - 1) * g.bSk * 4);
  const best = Math.max(g.m > 4 ? mSpan : -1, g.n > 4 ? nSpan : -1, g.k > 4 ? kSpan : -1);
  if (best < 0) throw new Error(`matmul: a ${g.m}x${g.n}x${g.k} block still exceeds ${limit} bytes per binding`);
  if (best === mSpan && g.m > 4) {
    const m1 = half(g.m);
    gemm({ ...g, m: m1 }, version);
    gemm({ ...g, m: g.m - m1, aOff: g.aOff + m1 * g.aSm, cOff: g.cOff + m1 * g.cSm }, version);
  } else if (best === nSpan && g.n > 4) {
    const n1 = half(g.n);
    const b1 = g.bias ? biasSlice(g.bias, 0, n1) : null;
    const b2 = g.bias ? biasSlice(g.bias, n1, g.n - n1) : null;
    gemm({ ...g, n: n1, bias: b1 }, version);
    gemm({ ...g, n: g.n - n1, bOff: g.bOff + n1 * g.bSn, cOff: g.cOff + n1, bias: b2 }, version);
    // safe to free now: later work that reuses the buffers is recorded after these reads
    b1?.dispose();
    b2?.dispose();
  } else {
    const k1 = half(g.k);
    // epilogue (bias, ReLU) only after the last K block, when the sum is complete
    gemm({ ...g, k: k1, bias: null, relu: false }, version);
    gemm({ ...g, k: g.k - k1, aOff: g.aOff + k1 * g.aSk, bOff: g.bOff + k1 * g.bSk, accumulate: true }, version);
  }
}

/** A view of bias[start, start+n) as its own tensor handle (copies n floats). */
function biasSlice(bias: Tensor, start: number, n: number): Tensor {
  const d = bias.device;
  const t = Tensor.empty([n], 'float32', d);
  d.copy(bias.buffer, bias.byteOffset + start * 4, t.buffer, t.byteOffset, n * 4);
  return t;
}

// ---- the op --------------------------------------------------------------------------------

export interface MatmulOptions {
  /** use Aᵀ: A is stored as [..., K, M] */
  transA?: boolean;
  /** use Bᵀ: B is stored as [..., N, K] (a Linear layer's weight) */
  transB?: boolean;
  /** added to every row of the result: [N] */
  bias?: Tensor;
  /** ReLU after the bias (needs bias) */
  relu?: boolean;
  /** force a version instead of `selectMatmul` */
  version?: MatmulVersion;
  /** write the result here (same size, float32, not overlapping A or B) instead of a new tensor */
  out?: Tensor;
}

/**
 * C = op(A)·op(B) [+ bias] [ReLU]. A: [M, K] or [batch..., M, K]; B: [K, N] or
 * [batch..., K, N] with the same batch dims (either transposed per the options).
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  assertFloat('matmul', a, b);
  const d = assertSameDevice('matmul', a, b);
  const { transA = false, transB = false, bias, relu = false } = opts;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: operands must have rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (!sameShape(batchA, batchB)) {
    throw new Error(`matmul: batch dimensions differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new Error(`matmul: inner dimensions differ: ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} · ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${kb})`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== n)) {
    throw new Error(`matmul: bias ${fmtShape(bias.shape)} does not match ${n} output columns`);
  }
  if (relu && !bias) throw new Error('matmul: relu: true needs a bias');
  const batch = batchA.reduce((x, y) => x * y, 1);
  // before any allocation or dispatch (a new tensor may be poisoned by a dispatch)
  const layout = {
    m, n, k, aOff: 0, aSm: transA ? 1 : ac, aSk: transA ? ac : 1, aSb: ar * ac,
    bOff: 0, bSk: transB ? 1 : bc, bSn: transB ? bc : 1, bSb: br * bc, cOff: 0, cSm: n, cSb: m * n,
  };
  if (opts.version === 'stream') assertStream(layout, k);
  if (opts.version === 'vec4') assertVec4(layout);
  const c = outOrEmpty('matmul', opts.out, [...batchA, m, n], d, [a, b, ...(bias ? [bias] : [])]);
  if (c.size > 0) {
    if (k === 0) throw new Error(`matmul: K = 0 (${fmtShape(a.shape)} · ${fmtShape(b.shape)})`);
    gemm({
      m, n, k, batch,
      a, aOff: 0, aSm: transA ? 1 : ac, aSk: transA ? ac : 1, aSb: ar * ac,
      b, bOff: 0, bSk: transB ? 1 : bc, bSn: transB ? bc : 1, bSb: br * bc,
      c, cOff: 0, cSm: n, cSb: m * n,
      alpha: 1, accumulate: false, bias: bias ?? null, relu,
    }, opts.version);
  }
  const inputs = bias ? [a, b, bias] : [a, b];
  return record(c, 'matmul', inputs, (gc) => {
    const g = relu ? reluBackward(gc, c) : gc;
    // a parameter's gradient goes straight into its arena slot when autograd offers one
    const ga = !a.requiresGrad ? null
      : transA ? matmul(b, g, { transA: transB, transB: true, out: gradTarget(a) }) // (op(B)·dCᵀ) stored as [K, M]
        : matmul(g, b, { transB: !transB, out: gradTarget(a) });                      // dC·op(B)ᵀ
    const gb = !b.requiresGrad ? null
      : transB ? matmul(g, a, { transA: true, transB: transA, out: gradTarget(b) })  // (dCᵀ·op(A)) stored as [N, K]
        : matmul(a, g, { transA: !transA, out: gradTarget(b) });                      // op(A)ᵀ·dC
    const out: Array<Tensor | null> = [ga, gb];
    if (bias) out.push(bias.requiresGrad ? sumAxes(g.reshape([batch * m, n]), [0], gradTarget(bias)) : null);
    if (g !== gc) g.dispose();
    return out;
  });
}

/** Swaps the last two axes (a copy). */
export { transpose } from './shape.js';
