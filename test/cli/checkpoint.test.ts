// Checkpoints go through saveModel's atomic write: a write that dies before the rename leaves
// the previous checkpoint intact and no temporary file behind.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const failure = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof actual.rename = async (from, to) => {
    if (failure.on) throw Object.assign(new Error('simulated crash before the rename'), { code: 'EIO' });
    return actual.rename(from, to);
  };
  return { ...actual, rename, default: { ...actual, rename } };
});

import { gpu } from '../helpers/gpu.js';
import { checkpointSaver, loadCheckpoint } from '../../src/node/commands/checkpoint.js';
import { alexnet } from '../../src/models/alexnet.js';
import { SGD } from '../../src/optim/sgd.js';
import { fill_ } from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'alexnet-ckpt-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!gpu)('checkpoint writes are atomic', () => {
  it('an interrupted save leaves the previous checkpoint intact', async () => {
    const model = alexnet({ preset: 'keras-bn', numClasses: 2, inputSize: 67, width: 0.125, seed: 1 });
    const optimizer = new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9 });
    const meta = { preset: 'keras-bn' as const, classNames: ['a', 'b'], inputSize: 67, preprocessing: { rescale: 1 / 255, resizeMode: 'stretch' as const }, optimizer: 'sgd' };
    const save = checkpointSaver(model, meta, optimizer);
    const path = join(dir, 'best.safetensors');
    await save(path, { epoch: 0, logs: { val_accuracy: 0.5 } });
    const before = readFileSync(path);

    fill_(model.stateDict().get('classifier.6.bias')!, 42);
    failure.on = true;
    await expect(save(path, { epoch: 1, logs: { val_accuracy: 0.75 } })).rejects.toThrow(/simulated crash/);
    failure.on = false;

    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['best.safetensors']);
    const { meta: loaded, model: reloaded } = await loadCheckpoint(path);
    expect(loaded.epoch).toBe(1);
    const bias = await (reloaded as typeof model).stateDict().get('classifier.6.bias')!.data();
    expect(Array.from(bias)).not.toContain(42);
  });
});
