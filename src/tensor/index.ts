// SPDX-License-Identifier: MIT
// The tensor core: device runtime, Tensor, autograd and the ops. No Node imports here:
// tsconfig.core.json compiles the core without Node's types (npm run typecheck).

import { fill_ } from './ops/elementwise.js';
import { setPoisonHook } from './poison.js';

export { Device, getDevice, setDevice, hasDevice, NO_ADAPTER_HELP } from './device.js';
export { BufferPool } from './buffer-pool.js';
export type { DeviceInfo, DeviceStats, Binding, Params } from './device.js';
export { Tensor, Storage, noGrad, record, sizeOf, stridesOf, fmtShape, gradState } from './tensor.js';
export { tidy, keep } from './scope.js';
export { setPoison } from './poison.js';
export type { DType, Shape, GradNode } from './tensor.js';
export { backward, gradTarget, gradSlotStats } from './autograd.js';
export { arenaLayout, layoutFor, ArenaSet, type ArenaLayout } from './arena.js';
export {
  setTuneCache, getTuneCache, emptyTuneCache, validateTuneCache, tunedChoice, startRecording, stopRecording,
  convKey, gemmKey,
} from './autotune-table.js';
export type { TuneCache, TuneEntry, TunedOp, RecordedProblem, ConvProblem, GemmProblem } from './autotune-table.js';
export { tuneProblem, tuneProblems, type TuneOptions } from './autotune-measure.js';
export { timeGpu, median } from './timing.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export { matmul, gemm, selectMatmul, MATMUL_ALIASES, MATMUL_KERNELS, MATMUL_VERSIONS, matmulVersionOf, matmulVersions } from './ops/matmul/index.js';
export type { MatmulOptions, MatmulVersion, MatmulVersionName, MatmulVersionInfo, Gemm, Choice } from './ops/matmul/index.js';
export { permute, transpose, spaceToDepth, type SpaceToDepthOptions } from './ops/shape.js';
export { labelScope, childLabel, setProfiling, isProfiling, currentLabel } from './profile-scopes.js';
export { mixSeed, mulberry32 } from './rng.js';

// Poisoned outputs (tests) are filled with NaN by the fill kernel.
setPoisonHook((t) => {
  fill_(t, NaN);
});
