// SPDX-License-Identifier: MIT
// Matrix multiplication: C = op(A)·op(B) (+ bias, ReLU), batched, with transposed operands
// read through strides, and autograd.
//
// The ladder (src/kernels/wgsl/matmul/, reading order in its README.md): 01_naive,
// 02_register_blocked, 03_vec4, 04_splitk_dot, 05_tiled, 06_tiled_prefetch, 07_row_stream,
// each the version name (the old short names 'naive', 'blocked', 'vec4', 'splitk', 'tiled',
// 'prefetch', 'stream' are accepted too).
// versions.ts holds each version's kernel, the layouts it cannot take and its launch;
// select.ts picks one per problem and says why; dispatch.ts runs a GEMM, split into blocks
// when an operand is larger than one storage binding; gemm.ts is the problem in strides.
// This file is the op: checks, the GEMM, autograd.

import { gradTarget } from '../../autograd.js';
import { fmtShape, record, Tensor } from '../../tensor.js';
import { reluBackward } from '../elementwise.js';
import { sumAxes } from '../reduce.js';
import { assertFloat, assertSameDevice, outOrEmpty, sameShape } from '../util.js';
import { gemm } from './dispatch.js';
import { fullGemm } from './gemm.js';
import { matmulUnsupported, type MatmulVersionName } from './versions.js';

export interface MatmulOptions {
  /** use Aᵀ: A is stored as [..., K, M] */
  transA?: boolean;
  /** use Bᵀ: B is stored as [..., N, K] (a Linear layer's weight) */
  transB?: boolean;
  /** added to every row of the result: [N] */
  bias?: Tensor;
  /** ReLU after the bias (needs bias) */
  relu?: boolean;
  /** force a version instead of `selectMatmul`: its file stem ('03_vec4'), or its old short name ('vec4') */
  version?: MatmulVersionName;
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
  const layout = {
    m, n, k, batch, aOff: 0, aSm: transA ? 1 : ac, aSk: transA ? ac : 1, aSb: ar * ac,
    bOff: 0, bSk: transB ? 1 : bc, bSn: transB ? bc : 1, bSb: br * bc, cOff: 0, cSm: n, cSb: m * n,
  };
  // a forced version that cannot take the layout fails before any allocation or dispatch
  // (a new tensor may be poisoned by a dispatch)
  const bad = opts.version ? matmulUnsupported(opts.version, fullGemm(layout), d) : null;
  if (bad) throw new Error(`matmul: ${bad}`);
  const c = outOrEmpty('matmul', opts.out, [...batchA, m, n], d, [a, b, ...(bias ? [bias] : [])]);
  if (c.size > 0) {
    if (k === 0) throw new Error(`matmul: K = 0 (${fmtShape(a.shape)} · ${fmtShape(b.shape)})`);
    gemm({ ...layout, a, b, c, alpha: 1, accumulate: false, bias: bias ?? null, relu }, opts.version);
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

export { gemm } from './dispatch.js';
export { gemmProblem, type Choice, type Gemm, type GemmShape } from './gemm.js';
export { imageGemm, ruleMatmul, selectMatmul } from './select.js';
export {
  GPU_GEMM, MATMUL_ALIASES, MATMUL_KERNELS, MATMUL_VERSIONS, matmulUnsupported, matmulVersionOf, matmulVersions, resolveMatmulVersion,
  STREAM_TUNING, streamUnsupported, vec4Unsupported,
  type MatmulAlias, type MatmulVersion, type MatmulVersionInfo, type MatmulVersionName, type TiledVersion,
} from './versions.js';
/** Swaps the last two axes (a copy). */
export { transpose } from '../shape.js';
