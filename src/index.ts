// SPDX-License-Identifier: MIT
// webgpu-alexnet: the package's main entry. Everything here runs in a browser too (no Node
// imports); files, devices through Dawn and the CLI live in `webgpu-alexnet/node`.

// tensor core: Device, Tensor, autograd, elementwise / reduce / matmul ops
export * from './tensor/index.js';
// neural-network ops
export { conv2d, conv2dBackwardData, conv2dBackwardWeight, convShape, convFlops, selectConv2d, explainConv2d, conv2dVersions } from './tensor/ops/conv2d/index.js';
export type { Conv2dOptions, ConvShape, ConvPass, ConvVersion, ConvVersionInfo, DgradVersion, WgradVersion } from './tensor/ops/conv2d/index.js';
// Winograd's minimal filtering F(m, r) as float64 matrices (rung 04_winograd's transforms)
export { winograd1D, type Winograd1D } from './tensor/ops/conv2d/winograd_matrices.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from './tensor/ops/pool.js';
export type { PoolOptions, AvgPoolOptions } from './tensor/ops/pool.js';
export { localResponseNorm } from './tensor/ops/lrn.js';
export type { LrnOptions } from './tensor/ops/lrn.js';
export { batchNorm2d } from './tensor/ops/batchnorm.js';
export type { BatchNormOptions } from './tensor/ops/batchnorm.js';
export { dropout } from './tensor/ops/dropout.js';
export type { DropoutOptions } from './tensor/ops/dropout.js';
export { softmax, logSoftmax, softmaxCrossEntropy, sigmoidBinaryCrossEntropy, accuracy } from './tensor/ops/softmax.js';
export type { CrossEntropyOptions } from './tensor/ops/softmax.js';
// layers, models, optimizers
export * from './layers/index.js';
export { alexnet, AlexNet, ALEXNET_PRESETS } from './models/alexnet.js';
export type { AlexNetOptions, AlexNetConfig, AlexNetPreset } from './models/alexnet.js';
export * from './optim/index.js';
// weights: safetensors bytes, deterministic init, state dicts <-> safetensors
export * from './io/safetensors.js';
export * from './io/hashinit.js';
export * from './io/checkpoint.js';
export * from './io/checkpoint-meta.js';
// training UX
export * from './train/index.js';
export * from './data/index.js';
