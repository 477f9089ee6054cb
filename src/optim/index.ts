// SPDX-License-Identifier: MIT
// Optimizers, gradient clipping and learning-rate schedules.

export { Optimizer } from './optimizer.js';
export type { OptimizerState, OptimizerParams } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export { clipGradNorm } from './clip.js';
export { LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR } from './schedulers.js';
export { warmupCosineLr, checkWarmupCosine } from './warmup-cosine.js';
export type { WarmupCosineOptions } from './warmup-cosine.js';
