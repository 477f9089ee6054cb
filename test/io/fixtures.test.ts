// SPDX-License-Identifier: MIT
// The PyTorch fixtures (scripts/make-fixtures.py, docs/weights.md) parse, are consistent, and
// hashInit reproduces the initial weights and inputs the Python side used.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { hashInit, sampleIndices } from '../../src/io/hashinit.js';
import { parseSafetensors, toFloat32, toInt32, type STTensor } from '../../src/io/safetensors.js';
import { initValue } from '../models/fixture.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

async function load(file: string) {
  return parseSafetensors(await readFile(FIXTURES + file), file);
}

function get(tensors: Map<string, STTensor>, name: string): STTensor {
  const t = tensors.get(name);
  if (t === undefined) throw new Error(`fixture tensor "${name}" is missing`);
  return t;
}

describe('fixture files', () => {
  it('every fixture parses, records the torch version and is small', async () => {
    const files = (await readdir(FIXTURES)).filter((name) => name.endsWith('.safetensors')).sort();
    expect(files).toEqual([
      'alexnet_keras-bn.safetensors', 'alexnet_paper.safetensors', 'alexnet_torchvision.safetensors', 'avgpool.safetensors',
      'batchnorm.safetensors', 'conv2d.safetensors', 'lrn.safetensors', 'maxpool.safetensors', 'optim_adam.safetensors',
      'optim_sgd.safetensors', 'softmax_ce.safetensors',
    ]);
    let total = 0;
    for (const file of files) {
      const bytes = await readFile(FIXTURES + file);
      total += bytes.length;
      expect(bytes.length, file).toBeLessThan(2 * 1024 * 1024);
      const { tensors, metadata } = parseSafetensors(bytes, file);
      expect(tensors.size).toBeGreaterThan(0);
      expect(metadata.torch_version).toMatch(/^\d+\.\d+/);
      expect(metadata.generator).toBe('scripts/make-fixtures.py');
    }
    expect(total).toBeLessThan(4 * 1024 * 1024);
  });

  it('conv2d cases have consistent shapes', async () => {
    const { tensors, metadata } = await load('conv2d.safetensors');
    const cases = Number(metadata.cases);
    expect(cases).toBe(5);
    for (let c = 0; c < cases; c++) {
      const p = JSON.parse(metadata[`case${c}`]!) as { stride: number[]; padding: number[]; dilation: number[]; groups: number };
      const shape = (key: string) => get(tensors, `case${c}.${key}`).shape;
      const [n, cin, h, w] = shape('x') as [number, number, number, number];
      const [cout, cinPerGroup, kh, kw] = shape('w') as [number, number, number, number];
      expect(cinPerGroup * p.groups).toBe(cin);
      const out = (size: number, k: number, i: number) =>
        Math.floor((size + 2 * p.padding[i]! - p.dilation[i]! * (k - 1) - 1) / p.stride[i]!) + 1;
      expect(shape('y')).toEqual([n, cout, out(h, kh, 0), out(w, kw, 1)]);
      expect(shape('g')).toEqual(shape('y'));
      expect(shape('dx')).toEqual(shape('x'));
      expect(shape('dw')).toEqual(shape('w'));
      expect(shape('b')).toEqual([cout]);
      expect(shape('db')).toEqual([cout]);
    }
  });

  it('layer fixtures pair every input with its gradient', async () => {
    for (const file of ['maxpool.safetensors', 'avgpool.safetensors', 'lrn.safetensors']) {
      const { tensors, metadata } = await load(file);
      for (let c = 0; c < Number(metadata.cases); c++) {
        expect(get(tensors, `case${c}.dx`).shape).toEqual(get(tensors, `case${c}.x`).shape);
        expect(get(tensors, `case${c}.g`).shape).toEqual(get(tensors, `case${c}.y`).shape);
      }
    }
    const { tensors } = await load('avgpool.safetensors');
    expect(get(tensors, 'case2.y').shape).toEqual([2, 3, 6, 6]);
    expect(get(tensors, 'case3.y').shape).toEqual([1, 2, 6, 6]);
  });

  it('softmax_ce labels are integers and losses scalars', async () => {
    const { tensors } = await load('softmax_ce.safetensors');
    expect(Array.from(toInt32(get(tensors, 'ce.labels'), 'ce.labels', 'softmax_ce'))).toEqual([3, 0, 4, 1]);
    for (const name of ['ce.loss', 'ce_ls.loss', 'bce.loss']) expect(get(tensors, name).shape).toEqual([]);
  });
});

describe.each(['alexnet_torchvision', 'alexnet_paper', 'alexnet_keras-bn'])('%s parity fixture', (model) => {
  it('the value rule (test/models/fixture.ts initValue) reproduces the stored initial weights and input, bit for bit', async () => {
    const { tensors, metadata } = await load(`${model}.safetensors`);
    const parameters = JSON.parse(metadata.parameters!) as Record<string, number[]>;
    expect(Object.keys(parameters).length).toBe(model === 'alexnet_keras-bn' ? 26 : 16);
    for (const [name, shape] of Object.entries(parameters)) {
      const numel = shape.reduce((a, b) => a * b, 1);
      const idx = toInt32(get(tensors, `grad.${name}.idx`), name, model);
      expect(idx).toEqual(sampleIndices(name, numel, 64));
      const stored = toFloat32(get(tensors, `init.${name}.val`), name, model);
      const values = initValue(name, shape);
      expect(Float32Array.from(idx, (i) => values[i]!)).toEqual(stored);
      expect(get(tensors, `grad.${name}.val`).shape).toEqual([64]);
      expect(get(tensors, `grad.${name}.sum`).dtype).toBe('F64');
      expect(get(tensors, `grad.${name}.sumsq`).dtype).toBe('F64');
      if (shape.length === 1) expect(get(tensors, `grad.${name}`).shape).toEqual(shape);
    }
    const inputShape = JSON.parse(metadata.input_shape!) as number[];
    const input = hashInit('input', inputShape.reduce((a, b) => a * b, 1), Number(metadata.input_scale));
    const inputIdx = toInt32(get(tensors, 'input.idx'), 'input.idx', model);
    expect(Float32Array.from(inputIdx, (i) => input[i]!)).toEqual(toFloat32(get(tensors, 'input.val'), 'input.val', model));
    expect(get(tensors, 'eval.logits').shape).toEqual(get(tensors, 'logits').shape);
    expect(get(tensors, 'full.logits').shape).toEqual([1, Number(metadata.num_classes)]);
  });

  it('logits, labels and loss are consistent', async () => {
    const { tensors, metadata } = await load(`${model}.safetensors`);
    const [batch] = JSON.parse(metadata.input_shape!) as number[];
    const classes = Number(metadata.num_classes);
    expect(get(tensors, 'logits').shape).toEqual([batch, classes]);
    const labels = toInt32(get(tensors, 'labels'), 'labels', model);
    expect(Array.from(labels)).toEqual(JSON.parse(metadata.labels!));
    const logits = toFloat32(get(tensors, 'logits'), 'logits', model);
    let total = 0;
    labels.forEach((label, row) => {
      const z = Array.from(logits.subarray(classes * row, classes * (row + 1)));
      const max = Math.max(...z);
      total += max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[label]!;
    });
    expect(toFloat32(get(tensors, 'loss'), 'loss', model)[0]).toBeCloseTo(total / batch!, 5);
  });
});

describe.each(['optim_sgd', 'optim_adam'])('%s fixture', (file) => {
  it('holds every parameter whole after each of five steps; the init and gradient rules hold', async () => {
    const { tensors, metadata } = await load(`${file}.safetensors`);
    const parameters = JSON.parse(metadata.parameters!) as Record<string, number[]>;
    const optimizers = Object.keys(JSON.parse(metadata.optimizers!) as Record<string, unknown>);
    expect(optimizers.length).toBe(file === 'optim_sgd' ? 2 : 3);
    expect(metadata.steps).toBe('5');
    for (const [name, shape] of Object.entries(parameters)) {
      const numel = shape.reduce((a, b) => a * b, 1);
      const idx = toInt32(get(tensors, `init.${name}.idx`), name, file);
      const init = initValue(name, shape);
      expect(Float32Array.from(idx, (i) => init[i]!)).toEqual(toFloat32(get(tensors, `init.${name}.val`), name, file));
      const g = hashInit(`grad1.${name}`, numel, 0.1);
      expect(Float32Array.from(idx, (i) => g[i]!)).toEqual(toFloat32(get(tensors, `grad1.${name}.val`), name, file));
      for (const key of optimizers) for (let t = 1; t <= 5; t++) expect(get(tensors, `${key}.step${t}.${name}`).shape).toEqual(shape);
    }
  });
});
