// SPDX-License-Identifier: MIT
// One image to class probabilities, preprocessed exactly as `alexnet predict` does (the core's
// imageToChw with the checkpoint's rescale and resize mode).
import type { RgbImage } from '../data/image.js';
import { imageToChw } from '../data/transform.js';
import { predict } from '../train/evaluate.js';
import type { TrainableModel } from '../train/model.js';
import type { WebCheckpointMeta } from './checkpoint.js';

export interface ImagePrediction {
  class: string;
  probability: number;
  /** every class with its probability, most likely first */
  ranked: { class: string; probability: number }[];
}

export async function predictImage(model: TrainableModel, meta: Pick<WebCheckpointMeta, 'inputSize' | 'classNames' | 'preprocessing'>, img: RgbImage): Promise<ImagePrediction> {
  const size = meta.inputSize;
  const x = imageToChw(img, size, size, { rescale: meta.preprocessing.rescale, resizeMode: meta.preprocessing.resizeMode });
  const [p] = await predict(model, x, { sampleShape: [3, size, size] });
  const ranked = Array.from(p!, (probability, k) => ({ class: meta.classNames[k] ?? String(k), probability })).sort((a, b) => b.probability - a.probability);
  return { class: ranked[0]!.class, probability: ranked[0]!.probability, ranked };
}
