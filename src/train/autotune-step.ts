// SPDX-License-Identifier: MIT
// Autotuning, a model's training step: one forward + backward on random data with the fixed
// rules, recording every problem the kernel selectors are asked about, then timing every
// version of each (src/tensor/autotune-measure.ts). Browser-safe; `alexnet tune` saves the
// result (src/node/autotune-cache.ts).

import type { Module } from '../layers/module.js';
import {
  getTuneCache, setTuneCache, startRecording, stopRecording, type RecordedProblem, type TuneEntry,
} from '../tensor/autotune-table.js';
import { getDevice, keep, rand, tidy, Tensor } from '../tensor/index.js';
import { softmaxCrossEntropy } from '../tensor/ops/softmax.js';
import { tuneProblems, type TuneOptions } from '../tensor/autotune-measure.js';

export interface TuneStepOptions extends TuneOptions {
  batch: number;
  /** one image: [C, H, W] */
  inputShape: number[];
  numClasses: number;
}

export interface TuneStepResult {
  /** the adapter the entries are for (Device.describe()) */
  adapter: string;
  problems: RecordedProblem[];
  entries: Record<string, TuneEntry>;
}

/** The problems one training step of `model` poses to the selectors (with the fixed rules). */
export function recordTrainProblems(model: Module, opts: Pick<TuneStepOptions, 'batch' | 'inputShape' | 'numClasses'>): RecordedProblem[] {
  const saved = getTuneCache();
  setTuneCache(null); // the rules' path, so the recorded problems do not depend on an old table
  const x = keep(rand([opts.batch, ...opts.inputShape], { seed: 1 }));
  const y = keep(Tensor.fromArray(new Int32Array(opts.batch).map((_, i) => i % opts.numClasses)));
  const wasTraining = model.training;
  model.train();
  startRecording();
  let problems: RecordedProblem[] = [];
  try {
    tidy(() => softmaxCrossEntropy(model.forward(x), y).backward());
  } finally {
    problems = stopRecording();
    setTuneCache(saved);
    if (!wasTraining) model.eval();
    x.dispose();
    y.dispose();
    for (const p of model.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }
  return problems;
}

/** Records the step's problems and tunes each one on the current device. */
export async function tuneTrainStep(model: Module, opts: TuneStepOptions): Promise<TuneStepResult> {
  const device = getDevice();
  const problems = recordTrainProblems(model, opts);
  opts.log?.(`${problems.length} problems to tune on ${device.describe()}`);
  const entries = await tuneProblems(device, problems, opts);
  return { adapter: device.describe(), problems, entries };
}
