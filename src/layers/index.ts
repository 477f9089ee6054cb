// SPDX-License-Identifier: MIT
// Layers: Module and the building blocks of AlexNet, micrograd-style (forward + parameters()).

export { Module, copyInto } from './module.js';
export type { TensorLike, LoadOptions, LoadResult } from './module.js';
export { fans, initWeight, initBias } from './init.js';
export type { WeightInit, BiasInit } from './init.js';
export { Linear, Dense } from './linear.js';
export type { LinearOptions } from './linear.js';
export { Conv2d } from './conv.js';
export type { Conv2dOptions as Conv2dLayerOptions } from './conv.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pool.js';
export { LocalResponseNorm, BatchNorm2d, BatchNorm1d } from './norm.js';
export type { LRNOptions, BatchNormOptions } from './norm.js';
export { Dropout } from './dropout.js';
export { ReLU, Flatten } from './activation.js';
export { Softmax } from './softmax.js';
export { Sequential } from './sequential.js';
export type { ReluFusable } from './sequential.js';
export { summary, formatFlops } from './summary.js';
export type { Summary, SummaryRow } from './summary.js';
