// SPDX-License-Identifier: MIT
// The options `profile` and `tune` share: which model, at what input size and batch.

import { DEFAULT_INPUT_SIZE, parseInputSize, parseInteger, parsePreset, parseWidth } from './common.js';

export const STEP_MODEL_OPTIONS = {
  model: { type: 'string' },
  'input-size': { type: 'string' },
  width: { type: 'string' },
  'batch-size': { type: 'string' },
  classes: { type: 'string' },
} as const;

export function parseStepModel(values: { model?: string; 'input-size'?: string; width?: string; 'batch-size'?: string; classes?: string }) {
  const preset = parsePreset(values.model, 'paper');
  return {
    preset,
    inputSize: parseInputSize(values['input-size'], preset, DEFAULT_INPUT_SIZE[preset]),
    width: parseWidth(values.width),
    batch: parseInteger('batch-size', values['batch-size'], 1, 32),
    numClasses: parseInteger('classes', values.classes, 1, 1000),
  };
}
