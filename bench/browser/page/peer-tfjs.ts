// SPDX-License-Identifier: MIT
// Peer: TensorFlow.js with its WebGPU backend, the same AlexNet as bench/alexnet.ts's
// peerAlexnet (2012 layout without LRN and groups, 227x227, 2 classes, dropout off, softmax
// cross-entropy, plain SGD lr 0.01) as a tfjs-layers model in TF.js's own layout (NHWC), built
// as a web developer would. Forward: model.predict and the logits read back; training step:
// optimizer.minimize and the loss and one updated weight read back. Wall time of whole steps.
// Its own bundle (peer-tfjs.js): a dev dependency of the benchmark, never of the library.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { BenchRow } from '../../common.js';
import type { WorkloadOptions } from '../../workloads.js';
import { checkOutput, timeSteps } from './peer-common.js';

/**
 * The peer AlexNet. fc6's weight (9216x4096 floats, 151 MB) is more than one storage binding
 * holds where the adapter allows less (Firefox: 128 MiB), and TF.js does not split it: there
 * it is `parts` Dense layers side by side, concatenated (the same function and FLOPs).
 */
function peerModel(size: number, parts: number): tf.LayersModel {
  let seed = 1;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  const conv = (filters: number, kernelSize: number, strides: number, padding: 'valid' | 'same') =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding, activation: 'relu', kernelInitializer: init() });
  const pool = () => tf.layers.maxPooling2d({ poolSize: 3, strides: 2 });
  const input = tf.input({ shape: [size, size, 3] });
  let h = conv(96, 11, 4, 'valid').apply(input) as tf.SymbolicTensor;
  h = pool().apply(h) as tf.SymbolicTensor;
  h = conv(256, 5, 1, 'same').apply(h) as tf.SymbolicTensor; // padding 2
  h = pool().apply(h) as tf.SymbolicTensor;
  h = conv(384, 3, 1, 'same').apply(h) as tf.SymbolicTensor; // padding 1
  h = conv(384, 3, 1, 'same').apply(h) as tf.SymbolicTensor;
  h = conv(256, 3, 1, 'same').apply(h) as tf.SymbolicTensor;
  h = pool().apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  const dense = (units: number, activation: 'relu' | 'linear') => tf.layers.dense({ units, activation, kernelInitializer: init() });
  if (parts === 1) h = dense(4096, 'relu').apply(h) as tf.SymbolicTensor;
  else {
    const cols = Array.from({ length: parts }, () => dense(4096 / parts, 'relu').apply(h) as tf.SymbolicTensor);
    h = tf.layers.concatenate().apply(cols) as tf.SymbolicTensor;
  }
  h = dense(4096, 'relu').apply(h) as tf.SymbolicTensor;
  const logits = dense(2, 'linear').apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

export async function runTfjs(which: 'forward' | 'train', opts: WorkloadOptions): Promise<BenchRow[]> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js: the webgpu backend did not start');
  await tf.ready();
  const batch = opts.batch ?? 8;
  const size = 227;
  const adapter = await navigator.gpu.requestAdapter();
  const limit = adapter?.limits.maxStorageBufferBindingSize ?? 128 * 2 ** 20;
  let parts = 1;
  while ((9216 * 4096 * 4) / parts > limit) parts *= 2;
  const model = peerModel(size, parts);
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 2);
  const version = `TF.js ${tf.version.tfjs} webgpu`;
  const note = parts > 1 ? `fc6 as ${parts} Dense layers (binding limit ${limit} B)` : '';
  let row: BenchRow;
  if (which === 'forward') {
    let logits: ArrayLike<number> = [];
    let shape: number[] = [];
    const ms = await timeSteps(opts, async () => {
      const y = model.predict(x) as tf.Tensor;
      logits = (await y.data()) as Float32Array;
      shape = y.shape;
      y.dispose();
    });
    const check = checkOutput('TF.js forward: the logits', logits, shape, [batch, 2]);
    row = { bench: `AlexNet forward b${batch}`, shape: `${size}x${size}`, version, ms, gflops: NaN, maxRelError: null, note: [check, note].filter(Boolean).join('; ') };
  } else {
    const optimizer = tf.train.sgd(0.01);
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2), 'int32'), 2);
    const probe = model.getWeights()[0]!;
    let loss: ArrayLike<number> = [];
    let shape: number[] = [];
    const ms = await timeSteps(opts, async () => {
      const l = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
      loss = (await l.data()) as Float32Array;
      shape = l.shape;
      l.dispose();
      // one element of an updated weight: the update has run, not just been queued
      const w = tf.tidy(() => probe.slice([0, 0, 0, 0], [1, 1, 1, 1]));
      await w.data();
      w.dispose();
    });
    const check = checkOutput('TF.js training step: the loss', loss, shape, []);
    labels.dispose();
    optimizer.dispose();
    row = { bench: `AlexNet train step b${batch}`, shape: `${size}x${size}`, version, ms, gflops: NaN, maxRelError: null, note: [check, note].filter(Boolean).join('; ') };
  }
  x.dispose();
  model.dispose();
  return [{ ...row, timing: 'wall', imagesPerSec: (batch * 1000) / row.ms }];
}
