// SPDX-License-Identifier: MIT
// Which matmul version runs a GEMM: an autotuned entry for this adapter and problem when
// there is one (../../autotune-table.ts), else the fixed rule, with the reason.

import { gemmKey, noteProblem, tunedChoice } from '../../autotune-table.js';
import type { Device } from '../../device.js';
import { type Choice, fullGemm, gemmProblem, type GemmShape, special } from './gemm.js';
import { GPU_GEMM, imageUnsupported, MATMUL_ALIASES, MATMUL_VERSIONS, matmulUnsupported, type MatmulVersion, streamUnsupported, subgroupUnsupported, vec4Unsupported } from './versions.js';

/**
 * Picks the matmul version for a problem on a device, with the reason (BENCHMARKS.md has
 * the measurements behind each rule):
 * - per-row bias, folded stores or split-K slices (the convolution's GPU path): 05/06;
 * - on a GPU adapter, few outputs over a long K (AlexNet's fc layers at small batch):
 *   04_splitk_dot (on lavapipe 03 with flat workgroups beat it on every fc shape);
 * - on a CPU driver without subgroups of 8, at most 8 rows times a big [K, N] B (a small
 *   batch's fc data gradient): 07_row_stream, which reads B once where 08 would copy it
 *   first (with subgroups of 8, 09 with the copy measured faster);
 * - on a CPU driver, any other GEMM whose layout allows it (K, N and the strides 4-aligned)
 *   and that is not tiny: 09_subgroup_broadcast where subgroups are 8 wide, else
 *   08_image_operands (both read their operands as images);
 * - on a CPU driver, at most 8 rows or K <= 8 with B as [K, N] otherwise: 07_row_stream;
 * - at least 128x128 outputs and K >= 64: 06_tiled_prefetch (GPU_GEMM), on any adapter;
 * - else 03_vec4 whenever the layout allows vec4 loads, else 02_register_blocked, and
 *   01_naive only for tiny outputs where 4x4 blocks would leave most of the GPU idle.
 * Without a device (a pure question about shapes) the adapter-specific rules are skipped.
 */
export function selectMatmul(g: GemmShape, device?: Device): Choice<MatmulVersion> {
  const full = fullGemm(g);
  if (forced && matmulUnsupported(forced, full, device) === null) return { version: forced, why: `${forced}: forced (forceMatmulForTesting)` };
  if (device && !special(full)) {
    const problem = gemmProblem(full);
    const key = gemmKey(problem);
    noteProblem({ op: 'matmul', key, gemm: problem });
    const tuned = tunedChoice(device, key, MATMUL_VERSIONS, MATMUL_ALIASES);
    if (tuned) return tuned;
  }
  return ruleMatmul(g, device);
}

let forced: MatmulVersion | null = null;

/**
 * Makes selectMatmul pick `version` wherever it can take the problem, until restore(): how a
 * test runs the GEMM inside another op (conv2d's 06_winograd_gemm) with each version.
 */
export function forceMatmulForTesting(version: MatmulVersion): { restore(): void } {
  const before = forced;
  forced = version;
  return { restore: () => { forced = before; } };
}

/**
 * The image GEMM a CPU-driver rung pins (conv2d's 06_winograd_gemm): 09_subgroup_broadcast
 * where subgroups are 8 invocations wide, else 08_image_operands (or the one
 * forceMatmulForTesting forces).
 */
export function imageGemm(device: Device): '08_image_operands' | '09_subgroup_broadcast' {
  if (forced === '08_image_operands' || forced === '09_subgroup_broadcast') return forced;
  return subgroupUnsupported(device) === null ? '09_subgroup_broadcast' : '08_image_operands';
}

/** The fixed rule behind selectMatmul (what it picks without an autotuned entry). */
export function ruleMatmul(g: GemmShape, device?: Device): Choice<MatmulVersion> {
  const full = fullGemm(g);
  const outputs = g.m * g.n * g.batch;
  if (special(full)) return { version: GPU_GEMM.version, why: `${GPU_GEMM.version}: only 05/06 have per-row bias, folded stores and split-K slices` };
  if (outputs < 64) return { version: '01_naive', why: `01_naive: only ${outputs} outputs, too few to share out in 4x4 blocks` };
  if (device && !device.info.isCpu && g.m <= 128 && outputs <= 16384 && g.k >= 1024) {
    return { version: '04_splitk_dot', why: `04_splitk_dot: only ${outputs} outputs of K=${g.k} (a GPU adapter: the K loop is shared by a workgroup; measured 2-5x faster than 03 on AlexNet's small fc shapes on an H100)` };
  }
  // what a CPU driver lacks for 09 (null: it has subgroups of 8; also null off a CPU driver)
  const sub = device?.info.isCpu ? subgroupUnsupported(device) : null;
  const stream = device?.info.isCpu && g.n >= 256 && streamUnsupported(full) === null;
  if (stream && sub !== null && g.m <= 8 && g.n * g.k >= 1 << 20) {
    return { version: '07_row_stream', why: `07_row_stream: ${g.m} rows and a big [K, N] B (${((g.n * g.k * 4) / 2 ** 20).toFixed(0)} MiB) on a CPU driver: 07 streams 512 contiguous bytes of each B and C row per SIMD batch, and reads B once where 08 would first copy all of it; not 09, because ${sub}` };
  }
  if (device && device.info.isCpu && imageUnsupported(full) === null && g.m * g.n * g.k * g.batch >= 1 << 18) {
    if (sub === null) {
      return { version: '09_subgroup_broadcast', why: `09_subgroup_broadcast: a CPU driver, so A and B are read as images (one vectorised load where a buffer load is a loop over the SIMD lanes) and each row of A is loaded once per subgroup of 8 and broadcast (on lavapipe 3-6x faster than 03 for AlexNet's GEMMs)` };
    }
    return { version: '08_image_operands', why: `08_image_operands: a CPU driver, so A and B are read as images (one vectorised load where a buffer load is a loop over the SIMD lanes); not 09, because ${sub}` };
  }
  if (stream && (g.m <= 8 || g.k <= 8)) {
    const what = g.m <= 8 ? `${g.m} rows` : `K=${g.k}`;
    return { version: '07_row_stream', why: `07_row_stream: ${what} and a [K, N] B on a CPU driver: 07 streams 512 contiguous bytes of each B and C row per SIMD batch (on lavapipe 1.1-2.3x faster than 03 for AlexNet's batch-8 fc gradients)` };
  }
  if (device && g.m >= 128 && g.n >= 128 && g.k >= 64) {
    return { version: GPU_GEMM.version, why: `${GPU_GEMM.version}: ${g.m}x${g.n} outputs fill 128x128 workgroup-memory tiles (measured faster than 03 for such GEMMs on lavapipe, e.g. 13.3 vs 8.8 GFLOP/s at 2048³, and on an H100)` };
  }
  const bad = vec4Unsupported(full);
  if (bad === null) return { version: '03_vec4', why: '03_vec4: 4x4 register block with vec4 loads (layout is 4-aligned)' };
  return { version: '02_register_blocked', why: `02_register_blocked: 4x4 block with scalar loads, because ${bad}` };
}
