// The metadata checks on their own (no GPU): every field's rule, the model fit, the optimizer state.
import { describe, expect, it } from 'vitest';

import { CheckpointError, checkMetadata, checkModelFit, checkOptimizerState, metadataFields } from '../../src/io/checkpoint-meta.js';
import type { OptimizerState } from '../../src/optim/optimizer.js';

const FILE = 'runs/a/best.safetensors';
/** What `alexnet train` writes, as strings. */
const GOOD: Record<string, string> = {
  preset: 'keras-bn',
  class_names: '["cats","dogs"]',
  input_size: '99',
  preprocessing: '{"rescale":0.00392156862745098,"resizeMode":"stretch"}',
  model_config: '{"preset":"keras-bn","numClasses":2,"inputSize":99,"dropout":0.5,"width":0.25}',
  optim_state: '{"type":"SGD","hyper":{"lr":0.01,"momentum":0.9,"nesterov":false},"steps":[3,3]}',
  optimizer: 'sgd',
  epoch: '3',
  seed: '42',
  width: '0.25',
  valAccuracy: '0.75',
  bestValAccuracy: '0.8',
  bestEpoch: '1',
  format: 'webgpu-alexnet',
};

function problem(edit: Record<string, string | undefined>): string {
  const raw = { ...GOOD, ...edit };
  for (const [k, v] of Object.entries(edit)) if (v === undefined) delete raw[k];
  try {
    checkMetadata(metadataFields(raw as Record<string, string>), FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return (e as Error).message;
  }
  return 'accepted';
}

describe('checkMetadata', () => {
  it('accepts what train writes and returns it typed', () => {
    const m = checkMetadata(metadataFields(GOOD), FILE);
    expect(m).toMatchObject({ preset: 'keras-bn', classNames: ['cats', 'dogs'], inputSize: 99, epoch: 3, bestValAccuracy: 0.8, bestEpoch: 1 });
    expect(m.preprocessing).toEqual({ rescale: 0.00392156862745098, resizeMode: 'stretch' });
    expect(m.optimState?.steps).toEqual([3, 3]);
  });

  it.each([
    [{ input_size: 'abc' }, "metadata field 'input_size': 'abc' is not a positive integer <= 8192"],
    [{ input_size: '0' }, "'input_size': 0 is not a positive integer"],
    [{ input_size: '1e6' }, "'input_size': 1000000 is not a positive integer <= 8192"],
    [{ epoch: '-5' }, "metadata field 'epoch': -5 is not a non-negative integer"],
    [{ epoch: '2.5' }, "'epoch': 2.5 is not a non-negative integer"],
    [{ optim_state: '{"type":' }, "metadata field 'optim_state': '{\"type\":' is not valid JSON"],
    [{ optim_state: 'null' }, "'optim_state': null is not a JSON object"],
    [{ optim_state: '{"type":"SGD","hyper":{"lr":"x"},"steps":[1]}' }, "'optim_state': hyper"],
    [{ optim_state: '{"type":"SGD","hyper":{},"steps":[-1]}' }, "'optim_state': steps [-1] is not an array of non-negative integers"],
    [{ class_names: '["cats"]' }, "metadata field 'class_names': 1 name(s) for the 2 classes of model_config"],
    [{ class_names: '["cats","cats"]' }, "'class_names': the class 'cats' appears twice"],
    [{ class_names: '[]' }, "'class_names': [] is not a JSON array of one or more non-empty strings"],
    [{ class_names: '["a",""]' }, 'is not a JSON array of one or more non-empty strings'],
    [{ preprocessing: '{"rescale":"x","resizeMode":"weird"}' }, "metadata field 'preprocessing': rescale 'x' is not a finite non-zero number"],
    [{ preprocessing: '{"resizeMode":"weird"}' }, "'preprocessing': resizeMode 'weird' is not one of stretch, center-crop"],
    [{ preprocessing: '{"std":[1,0,1]}' }, "'preprocessing': std [1,0,1] is not 3 finite numbers, none 0"],
    [{ preprocessing: '"stretch"' }, "'preprocessing': 'stretch' is not a JSON object"],
    [{ preset: 'vgg' }, "metadata field 'preset': 'vgg' is not one of paper, keras-bn, torchvision"],
    [{ preset: 'paper' }, "metadata field 'preset': 'paper' differs from model_config's 'keras-bn'"],
    [{ input_size: '67' }, "metadata field 'input_size': 67 differs from model_config's inputSize 99"],
    [{ model_config: '{"preset":"keras-bn","numClasses":2,"inputSize":99,"dropout":1}' }, "'model_config': dropout 1 is not a number in [0, 1)"],
    [{ model_config: '{"numClasses":-2}' }, "'model_config': numClasses -2 is not a positive integer"],
    [{ optimizer: 'rmsprop' }, "'optimizer': 'rmsprop' is not one of sgd, adam, adamw"],
    [{ width: '0' }, "'width': 0 is not a number in (0, 4]"],
    [{ bestValAccuracy: '1.5' }, "'bestValAccuracy': 1.5 is not a number in [0, 1]"],
    [{ seed: 'null' }, "'seed': null is not a non-negative integer"],
  ])('%j -> %s', (edit, message) => {
    const m = problem(edit);
    expect(m.startsWith(`${FILE}: `)).toBe(true);
    expect(m).toContain(message);
  });

  it('absent fields are left to the reader; a NaN accuracy stored as null reads as absent', () => {
    expect(problem({ preprocessing: undefined, optim_state: undefined, model_config: undefined, epoch: undefined })).toBe('accepted');
    expect(problem({ valAccuracy: 'null', bestValAccuracy: 'null' })).toBe('accepted');
  });

  it('checkModelFit: one class name per output', () => {
    expect(() => checkModelFit({ classNames: ['a', 'b', 'c'] }, { numClasses: 2 }, FILE)).toThrow(`${FILE}: metadata field 'class_names': 3 name(s) for a model with 2 outputs`);
    expect(() => checkModelFit({ classNames: ['a', 'b'] }, { numClasses: 2 }, FILE)).not.toThrow();
  });
});

describe('checkOptimizerState', () => {
  const tensor = { shape: [2], data: new Float32Array(2) };
  const state = (tensors: string[], steps = [2, 2], type = 'SGD', hyper: Record<string, number | boolean> = { momentum: 0.9 }): OptimizerState =>
    ({ type, hyper, steps, tensors: new Map(tensors.map((k) => [k, tensor])) }) as unknown as OptimizerState;
  const names = ['features.0.weight', 'features.0.bias'];

  it('accepts a complete state, and none kept for parameters without steps', () => {
    expect(() => checkOptimizerState(state(['0.momentum_buffer', '1.momentum_buffer']), 'SGD', names, FILE)).not.toThrow();
    expect(() => checkOptimizerState(state(['0.momentum_buffer'], [2, 0]), 'SGD', names, FILE)).not.toThrow();
    expect(() => checkOptimizerState(state(['0.exp_avg', '0.exp_avg_sq', '1.exp_avg', '1.exp_avg_sq'], [1, 1], 'AdamW', {}), 'AdamW', names, FILE)).not.toThrow();
  });

  it.each([
    [state(['0.momentum_buffer', '1.momentum_buffer', '99.momentum_buffer']), "optimizer state: tensor 'optim.99.momentum_buffer' belongs to no parameter (the model has 2, numbered from 0)"],
    [state(['0.momentum_buffer', '1.junk']), "tensor 'optim.1.junk' is not a SGD state (momentum_buffer)"],
    [state(['0.momentum_buffer']), "optimizer state: tensor 'optim.1.momentum_buffer' (features.0.bias) is missing; the parameter has taken 2 step(s)"],
    [state(['0.momentum_buffer', '1.momentum_buffer'], [2]), 'optim_state has steps for 1 parameters, the model has 2'],
    [state(['0.exp_avg'], [1, 1], 'Adam', {}), 'optim_state is for Adam, the run uses SGD'],
  ])('%#: %s', (s, message) => {
    expect(() => checkOptimizerState(s, 'SGD', names, FILE)).toThrow(`${FILE}: `);
    expect(() => checkOptimizerState(s, 'SGD', names, FILE)).toThrow(message);
  });
});
