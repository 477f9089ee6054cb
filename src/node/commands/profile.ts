// SPDX-License-Identifier: MIT
// `alexnet profile`: where the time of one training step goes, layer by layer (and with
// --kernels, kernel file by kernel file).

import { parseArgs } from 'node:util';
import { buildModel, makeOptimizer } from './checkpoint.js';
import { ensureDevice, parseInteger, parseOptimizer, type CommandContext } from './common.js';
import { checkInputFits } from './input-fit.js';
import { parseStepModel, STEP_MODEL_OPTIONS } from './step-model.js';

export const PROFILE_USAGE = `  profile   [--model PRESET] [--input-size N] [--width F] [--batch-size N] [--classes N]
            [--optimizer sgd|adam] [--steps N] [--kernels] [--json]`;

export async function profileCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...STEP_MODEL_OPTIONS,
      optimizer: { type: 'string' },
      steps: { type: 'string' },
      kernels: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    allowPositionals: false,
    strict: true,
  });
  const { preset, inputSize, width, batch, numClasses } = parseStepModel(values);
  const steps = parseInteger('steps', values.steps, 1, 3);
  const optimizerName = parseOptimizer(values.optimizer);
  const { profileTrainStep, formatProfile } = await import('../../train/profile-step.js');
  const device = await ensureDevice(ctx);
  checkInputFits(device, { preset, inputSize, numClasses, width }, batch);
  const model = buildModel({ preset, numClasses, inputSize, seed: 1, width });
  const optimizer = makeOptimizer(optimizerName, model, optimizerName === 'adam' ? 1e-3 : 0.01);
  const p = await profileTrainStep(model, { batch, inputShape: [3, inputSize, inputSize], numClasses, optimizer, steps, kernels: values.kernels === true });
  ctx.io.stdout(values.json ? JSON.stringify(p, null, 2) + '\n' : formatProfile(p) + '\n');
  return 0;
}
