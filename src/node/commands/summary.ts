// SPDX-License-Identifier: MIT
// `alexnet summary`: the Keras-style layer table of a preset at an input size.

import { parseArgs } from 'node:util';
import { summary } from '../../layers/summary.js';
import { buildModel } from './checkpoint.js';
import { checkInputFits } from './input-fit.js';
import { DEFAULT_INPUT_SIZE, ensureDevice, parseInputSize, parseInteger, parsePreset, parseWidth, type CommandContext } from './common.js';

export const SUMMARY_USAGE = '  summary   [--model PRESET] [--input-size N] [--classes N] [--width F]';

export async function summaryCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { model: { type: 'string' }, 'input-size': { type: 'string' }, classes: { type: 'string' }, width: { type: 'string' } },
    allowPositionals: false,
    strict: true,
  });
  const preset = parsePreset(values.model, 'paper');
  const inputSize = parseInputSize(values['input-size'], preset, DEFAULT_INPUT_SIZE[preset]);
  const numClasses = parseInteger('classes', values.classes, 1, 1000);
  const width = parseWidth(values.width);
  const device = await ensureDevice(ctx);
  checkInputFits(device, { preset, inputSize, numClasses, width }, 1);
  const model = buildModel({ preset, numClasses, inputSize, seed: 0, width });
  const { text } = summary(model, [1, 3, inputSize, inputSize]);
  ctx.io.stdout(text.endsWith('\n') ? text : text + '\n');
  return 0;
}
