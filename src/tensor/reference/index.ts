// SPDX-License-Identifier: MIT
// The float64 CPU oracles, one per kernel family, and the seeded inputs and error measures
// that go with them. Used by the tests, the benchmarks and the browser kernel lab alike; no
// GPU and no Node imports here.

export { conv2dBiasGradRef, conv2dDataGradRef, conv2dDataGradRefAt, conv2dRef, conv2dRefAt, conv2dWeightGradRef, conv2dWeightGradRefAt } from './conv2d.js';
export { matmulRef, matmulRefAt, type MatmulRefOptions } from './matmul.js';
export * from './nn.js';
export { adamRef, sgdRef, type AdamH, type SgdH } from './optim.js';
export { randomArray } from './random.js';
export { maxRelError, sampledRelError } from './compare.js';
