// SPDX-License-Identifier: MIT
// Test-time augmentation by mirroring: a model whose output is the log of the mean of the class
// probabilities of the image and of its left-right mirror,
//   forward(x) = log((softmax(f(x)) + softmax(f(mirror(x)))) / 2),
// so softmax of it is that mean and evaluate()/predict() work on it unchanged (the loss is the
// cross-entropy of the averaged probabilities). The mirror is a product with the W x W
// anti-identity over the last axis (exact: one 1 and zeros per column). Inference only.

import { add, log, matmul, mul, noGrad, Tensor } from '../tensor/index.js';
import { softmax } from '../tensor/ops/softmax.js';
import type { NamedTensors, TrainableModel } from './model.js';

/** x [..., W] with its last axis reversed. */
export function mirrorLastAxis(x: Tensor): Tensor {
  const w = x.shape[x.shape.length - 1]!;
  const p = new Float32Array(w * w);
  for (let i = 0; i < w; i++) p[i * w + (w - 1 - i)] = 1;
  return matmul(x.reshape([x.size / w, w]), Tensor.fromArray(p, [w, w])).reshape(x.shape);
}

/** `model` with mirror test-time augmentation; shares its weights and train/eval mode. */
export function withMirrorTTA(model: TrainableModel): TrainableModel {
  return {
    forward(x: Tensor): Tensor {
      if (x.shape.length < 3) throw new Error(`mirror TTA: the input must be images [n, c, h, w], got shape [${x.shape.join(', ')}]`);
      return noGrad(() => {
        const a = model.forward(x);
        if (a.shape.length !== 2 || a.shape[1]! < 2) {
          throw new Error(`mirror TTA: the model must output [n, classes] logits with 2+ classes, got shape [${a.shape.join(', ')}]`);
        }
        const b = model.forward(mirrorLastAxis(x));
        return log(mul(add(softmax(a), softmax(b)), Tensor.fromArray(new Float32Array([0.5]), [1])));
      });
    },
    parameters: () => model.parameters(),
    stateDict: model.stateDict ? (): NamedTensors => model.stateDict!() : undefined,
    train: (mode?: boolean) => model.train?.(mode),
    eval: () => (model.eval ? model.eval() : model.train?.(false)),
    get training() {
      return model.training;
    },
  };
}
