// SPDX-License-Identifier: MIT
// AlexNet in three presets, with torchvision's module names (features / avgpool / classifier)
// so state_dict keys match PyTorch: `features.0.weight`, `classifier.1.weight`, ...
//
//   'paper'       Krizhevsky, Sutskever, Hinton 2012, "ImageNet Classification with Deep
//                 Convolutional Neural Networks": LRN, overlapping pools, the two-GPU split
//                 as groups=2 on conv2/4/5, N(0, 0.01) weights, biases 1 on conv2/4/5 and fc6/7.
//   'keras-bn'    the Keras "AlexNet from scratch" tutorial shape: BatchNorm after every conv
//                 instead of LRN, no groups, 'same' padding on conv2-5, Glorot weights.
//   'torchvision' exactly torchvision.models.alexnet (the "one weird trick" variant:
//                 64-192-384-256-256, no LRN, AdaptiveAvgPool2d(6, 6)); 61,100,840
//                 parameters at 1000 classes; PyTorch's default init.
// Shapes in the comments are for the default input (227 for paper / keras-bn, 224 for torchvision).
// docs/alexnet.md has the tables and sources.

import { hash32 } from '../io/hashinit.js';
import { nextSeed, type Shape, type Tensor } from '../tensor/index.js';
import { Flatten, ReLU } from '../layers/activation.js';
import { Conv2d } from '../layers/conv.js';
import { Dropout } from '../layers/dropout.js';
import type { BiasInit, WeightInit } from '../layers/init.js';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import { BatchNorm2d, LocalResponseNorm } from '../layers/norm.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../layers/pool.js';
import { Sequential } from '../layers/sequential.js';

export type AlexNetPreset = 'paper' | 'keras-bn' | 'torchvision';
export const ALEXNET_PRESETS: readonly AlexNetPreset[] = ['paper', 'keras-bn', 'torchvision'];

export interface AlexNetOptions {
  preset?: AlexNetPreset;
  numClasses?: number;
  /** input side in pixels (default 227; 224 for torchvision) */
  inputSize?: number;
  /** dropout probability of the classifier's Dropout layers (default 0.5) */
  dropout?: number;
  /**
   * channel-width multiplier (default 1): every conv's channels and the hidden FC size are
   * scaled and rounded to an even number (so groups=2 still divides). For quick experiments.
   */
  width?: number;
  /** seed of the initial weights (default: the global seed sequence) */
  seed?: number;
  /** 'preset' (default): the preset's initialisers; 'none': leave undefined (about to load a file) */
  init?: 'preset' | 'none';
}

/** The options a model was built with: enough to rebuild it (saved in weights files). */
export interface AlexNetConfig {
  preset: AlexNetPreset;
  numClasses: number;
  inputSize: number;
  dropout: number;
  width: number;
}

export class AlexNet extends Module {
  readonly features: Sequential;
  /** torchvision only */
  readonly avgpool: AdaptiveAvgPool2d | null;
  /** registered so that children, in order, are the forward pass (no state_dict entries) */
  readonly flatten: Flatten;
  readonly classifier: Sequential;

  constructor(readonly config: AlexNetConfig, features: Sequential, avgpool: AdaptiveAvgPool2d | null, classifier: Sequential) {
    super();
    this.features = this.registerModule('features', features);
    this.avgpool = avgpool ? this.registerModule('avgpool', avgpool) : null;
    this.flatten = this.registerModule('flatten', new Flatten(1));
    this.classifier = this.registerModule('classifier', classifier);
  }

  /** features → (avgpool) → flatten → classifier: the children in registration order. */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const [name, m] of this.children) {
      const x0 = y;
      y = this.runChild(name, m, () => m.forward(x0));
    }
    return y;
  }

  override sequence(): [string, Module][] {
    return this.children;
  }

  override outputShape(s: Shape): number[] {
    let cur = [...s];
    for (const [, m] of this.children) cur = m.outputShape(cur);
    return cur;
  }

  override flops(s: Shape): number {
    let total = 0;
    let cur = [...s];
    for (const [, m] of this.children) {
      total += m.flops(cur);
      cur = m.outputShape(cur);
    }
    return total;
  }

  override describe(): string {
    return `AlexNet(${this.config.preset}, ${this.config.numClasses} classes, ${this.config.inputSize}px)`;
  }
}

/** Builds AlexNet. `alexnet({preset: 'torchvision', numClasses: 10})`. */
export function alexnet(opts: AlexNetOptions = {}): AlexNet {
  const preset = opts.preset ?? 'paper';
  if (!ALEXNET_PRESETS.includes(preset)) throw new Error(`alexnet: unknown preset '${preset}' (${ALEXNET_PRESETS.join(', ')})`);
  const config: AlexNetConfig = {
    preset,
    numClasses: opts.numClasses ?? 1000,
    inputSize: opts.inputSize ?? (preset === 'torchvision' ? 224 : 227),
    dropout: opts.dropout ?? 0.5,
    width: opts.width ?? 1,
  };
  if (!(config.width > 0)) throw new Error(`alexnet: width must be > 0, got ${config.width}`);
  // one seed per layer, derived from the model's seed
  const base = (opts.seed ?? nextSeed()) >>> 0;
  let layer = 0;
  const seed = () => hash32((base ^ Math.imul(++layer, 0x9e3779b9)) >>> 0);
  const none = opts.init === 'none';
  const build = { paper, 'keras-bn': kerasBn, torchvision }[preset];
  return build(config, seed, none);
}

type Seeds = () => number;

/** Channels scaled by the width multiplier, rounded to an even number >= 2. */
function scaled(c: AlexNetConfig, channels: number): number {
  return c.width === 1 ? channels : Math.max(2, 2 * Math.round((channels * c.width) / 2));
}

function paper(c: AlexNetConfig, seed: Seeds, none: boolean): AlexNet {
  const ch = (n: number) => scaled(c, n);
  const w: WeightInit = none ? 'none' : { normal: 0.01 };
  const b = (v: number): BiasInit => (none ? 'none' : v);
  const conv = (i: number, o: number, k: number, bias: number, extra: { stride?: number; padding?: number; groups?: number } = {}) =>
    new Conv2d(i, o, k, { ...extra, init: w, biasInit: b(bias), seed: seed() });
  const lrn = () => new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2, alphaScale: 'sum' });
  const features = new Sequential(
    conv(3, ch(96), 11, 0, { stride: 4 }),                  // 0  [N, 96, 55, 55]
    new ReLU(),                                             // 1
    lrn(),                                                  // 2
    new MaxPool2d(3, 2),                                    // 3  [N, 96, 27, 27]
    conv(ch(96), ch(256), 5, 1, { padding: 2, groups: 2 }), // 4  [N, 256, 27, 27]
    new ReLU(),                                             // 5
    lrn(),                                                  // 6
    new MaxPool2d(3, 2),                                    // 7  [N, 256, 13, 13]
    conv(ch(256), ch(384), 3, 0, { padding: 1 }),           // 8  [N, 384, 13, 13]
    new ReLU(),                                             // 9
    conv(ch(384), ch(384), 3, 1, { padding: 1, groups: 2 }),// 10 [N, 384, 13, 13]
    new ReLU(),                                             // 11
    conv(ch(384), ch(256), 3, 1, { padding: 1, groups: 2 }),// 12 [N, 256, 13, 13]
    new ReLU(),                                             // 13
    new MaxPool2d(3, 2),                                    // 14 [N, 256, 6, 6]
  );
  const flat = flatFeatures(features, c.inputSize);  // 9216 at 227
  const fc = (i: number, o: number, bias: number) => new Linear(i, o, { init: w, biasInit: b(bias), seed: seed() });
  const classifier = new Sequential(
    fc(flat, ch(4096), 1),                                  // 0  [N, 4096]
    new ReLU(),                                             // 1
    new Dropout(c.dropout),                                 // 2
    fc(ch(4096), ch(4096), 1),                              // 3  [N, 4096]
    new ReLU(),                                             // 4
    new Dropout(c.dropout),                                 // 5
    fc(ch(4096), c.numClasses, 0),                          // 6  [N, classes]
  );
  return new AlexNet(c, features, null, classifier);
}

function kerasBn(c: AlexNetConfig, seed: Seeds, none: boolean): AlexNet {
  const ch = (n: number) => scaled(c, n);
  // Keras defaults: glorot_uniform kernels, zero biases
  const w: WeightInit = none ? 'none' : 'glorot-uniform';
  const b: BiasInit = none ? 'none' : 0;
  const conv = (i: number, o: number, k: number, extra: { stride?: number; padding?: 'same' } = {}) =>
    new Conv2d(i, o, k, { ...extra, init: w, biasInit: b, seed: seed() });
  const features = new Sequential(
    conv(3, ch(96), 11, { stride: 4 }),                     // 0  [N, 96, 55, 55]
    new BatchNorm2d(ch(96)),                                // 1
    new ReLU(),                                             // 2
    new MaxPool2d(3, 2),                                    // 3  [N, 96, 27, 27]
    conv(ch(96), ch(256), 5, { padding: 'same' }),          // 4  [N, 256, 27, 27]
    new BatchNorm2d(ch(256)),                               // 5
    new ReLU(),                                             // 6
    new MaxPool2d(3, 2),                                    // 7  [N, 256, 13, 13]
    conv(ch(256), ch(384), 3, { padding: 'same' }),         // 8  [N, 384, 13, 13]
    new BatchNorm2d(ch(384)),                               // 9
    new ReLU(),                                             // 10
    conv(ch(384), ch(384), 3, { padding: 'same' }),         // 11 [N, 384, 13, 13]
    new BatchNorm2d(ch(384)),                               // 12
    new ReLU(),                                             // 13
    conv(ch(384), ch(256), 3, { padding: 'same' }),         // 14 [N, 256, 13, 13]
    new BatchNorm2d(ch(256)),                               // 15
    new ReLU(),                                             // 16
    new MaxPool2d(3, 2),                                    // 17 [N, 256, 6, 6]
  );
  const flat = flatFeatures(features, c.inputSize);  // 9216 at 227
  const fc = (i: number, o: number) => new Linear(i, o, { init: w, biasInit: b, seed: seed() });
  const classifier = new Sequential(
    fc(flat, ch(4096)),                                     // 0  [N, 4096]  Dense(4096, relu)
    new ReLU(),                                             // 1
    new Dropout(c.dropout),                                 // 2
    fc(ch(4096), ch(4096)),                                 // 3  [N, 4096]  Dense(4096, relu)
    new ReLU(),                                             // 4
    new Dropout(c.dropout),                                 // 5
    fc(ch(4096), c.numClasses),                             // 6  [N, classes] (softmax is in the loss)
  );
  return new AlexNet(c, features, null, classifier);
}

function torchvision(c: AlexNetConfig, seed: Seeds, none: boolean): AlexNet {
  const ch = (n: number) => scaled(c, n);
  const w: WeightInit = none ? 'none' : 'pytorch';
  const b: BiasInit = none ? 'none' : 'pytorch';
  const conv = (i: number, o: number, k: number, extra: { stride?: number; padding?: number } = {}) =>
    new Conv2d(i, o, k, { ...extra, init: w, biasInit: b, seed: seed() });
  const features = new Sequential(
    conv(3, ch(64), 11, { stride: 4, padding: 2 }),         // 0  [N, 64, 55, 55]
    new ReLU(),                                             // 1
    new MaxPool2d(3, 2),                                    // 2  [N, 64, 27, 27]
    conv(ch(64), ch(192), 5, { padding: 2 }),               // 3  [N, 192, 27, 27]
    new ReLU(),                                             // 4
    new MaxPool2d(3, 2),                                    // 5  [N, 192, 13, 13]
    conv(ch(192), ch(384), 3, { padding: 1 }),              // 6  [N, 384, 13, 13]
    new ReLU(),                                             // 7
    conv(ch(384), ch(256), 3, { padding: 1 }),              // 8  [N, 256, 13, 13]
    new ReLU(),                                             // 9
    conv(ch(256), ch(256), 3, { padding: 1 }),              // 10 [N, 256, 13, 13]
    new ReLU(),                                             // 11
    new MaxPool2d(3, 2),                                    // 12 [N, 256, 6, 6]
  );
  const avgpool = new AdaptiveAvgPool2d(6);         //    [N, 256, 6, 6] at any input >= 63
  const fc = (i: number, o: number) => new Linear(i, o, { init: w, biasInit: b, seed: seed() });
  const classifier = new Sequential(
    new Dropout(c.dropout),                                 // 0
    fc(ch(256) * 6 * 6, ch(4096)),                          // 1  [N, 4096]
    new ReLU(),                                             // 2
    new Dropout(c.dropout),                                 // 3
    fc(ch(4096), ch(4096)),                                 // 4  [N, 4096]
    new ReLU(),                                             // 5
    fc(ch(4096), c.numClasses),                             // 6  [N, classes]
  );
  return new AlexNet(c, features, avgpool, classifier);
}

/** C·H·W after the feature extractor for a square input of `size` pixels. */
function flatFeatures(features: Sequential, size: number): number {
  let s: number[];
  try {
    s = features.outputShape([1, 3, size, size]);
  } catch (e) {
    throw new Error(`alexnet: input size ${size} is too small for this preset: ${(e as Error).message}`);
  }
  return s[1]! * s[2]! * s[3]!;
}

// ---- sizes without building -------------------------------------------------------------

/** One tensor of the model: a weight, or an activation of one image (batch dimension 1). */
export interface AlexNetTensorShape {
  /** e.g. `features.0.weight`, `features.0 output` */
  name: string;
  shape: number[];
}

/**
 * The shapes of every weight and every layer output of a preset at an input size, from the
 * layer arithmetic alone: no tensor is made, so an input size too large for the adapter can be
 * refused before any GPU work (the CLI compares the largest with the device's maxBufferSize).
 * Mirrors the builders above; test/robustness/input-size-fit.test.ts checks it against built models.
 */
export function alexnetTensorShapes(opts: Pick<AlexNetOptions, 'preset' | 'numClasses' | 'inputSize' | 'width'> = {}): AlexNetTensorShape[] {
  const preset = opts.preset ?? 'paper';
  const c = { width: opts.width ?? 1 } as AlexNetConfig;
  const ch = (n: number) => scaled(c, n);
  const size = opts.inputSize ?? (preset === 'torchvision' ? 224 : 227);
  const out: AlexNetTensorShape[] = [{ name: 'input', shape: [1, 3, size, size] }];
  let [C, H] = [3, size];
  // [index, out channels, kernel, stride, padding ('same': stride 1, size kept), groups]
  type Conv = [number, number, number, number, number | 'same', number];
  const conv = ([i, o, k, s, p, g]: Conv) => {
    H = p === 'same' ? H : Math.floor((H + 2 * p - k) / s) + 1;
    out.push({ name: `features.${i}.weight`, shape: [o, C / g, k, k] }, { name: `features.${i} output`, shape: [1, o, H, H] });
    C = o;
  };
  const pool = (i: number) => {
    H = Math.floor((H - 3) / 2) + 1;
    out.push({ name: `features.${i} output`, shape: [1, C, H, H] });
  };
  const steps: Record<AlexNetPreset, Array<Conv | number>> = {
    paper: [[0, ch(96), 11, 4, 0, 1], 3, [4, ch(256), 5, 1, 2, 2], 7, [8, ch(384), 3, 1, 1, 1], [10, ch(384), 3, 1, 1, 2], [12, ch(256), 3, 1, 1, 2], 14],
    'keras-bn': [[0, ch(96), 11, 4, 0, 1], 3, [4, ch(256), 5, 1, 'same', 1], 7, [8, ch(384), 3, 1, 'same', 1], [11, ch(384), 3, 1, 'same', 1], [14, ch(256), 3, 1, 'same', 1], 17],
    torchvision: [[0, ch(64), 11, 4, 2, 1], 2, [3, ch(192), 5, 1, 2, 1], 5, [6, ch(384), 3, 1, 1, 1], [8, ch(256), 3, 1, 1, 1], [10, ch(256), 3, 1, 1, 1], 12],
  };
  for (const s of steps[preset]) {
    if (typeof s === 'number') pool(s);
    else conv(s);
  }
  if (preset === 'torchvision') H = 6; // AdaptiveAvgPool2d(6)
  const fcs = preset === 'torchvision' ? [1, 4, 6] : [0, 3, 6];
  const sizes = [C * H * H, ch(4096), ch(4096), opts.numClasses ?? 1000];
  fcs.forEach((i, k) => {
    out.push({ name: `classifier.${i}.weight`, shape: [sizes[k + 1]!, sizes[k]!] }, { name: `classifier.${i} output`, shape: [1, sizes[k + 1]!] });
  });
  return out;
}
