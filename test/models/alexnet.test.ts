// AlexNet presets: parameter counts, state_dict names, every layer's output shape by shape
// inference (no 227x227 run on a software GPU), and a small-input forward/backward per preset.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { alexnet, type AlexNetPreset } from '../../src/models/alexnet.js';
import { summary } from '../../src/layers/summary.js';
import { Tensor, tidy } from '../../src/tensor/index.js';
import { softmaxCrossEntropy } from '../../src/tensor/ops/softmax.js';

// [name, output shape at the default input] for every leaf layer, batch 1
const SHAPES: Record<AlexNetPreset, [string, number[]][]> = {
  paper: [
    ['features.0', [1, 96, 55, 55]], ['features.1', [1, 96, 55, 55]], ['features.2', [1, 96, 55, 55]], ['features.3', [1, 96, 27, 27]],
    ['features.4', [1, 256, 27, 27]], ['features.5', [1, 256, 27, 27]], ['features.6', [1, 256, 27, 27]], ['features.7', [1, 256, 13, 13]],
    ['features.8', [1, 384, 13, 13]], ['features.9', [1, 384, 13, 13]], ['features.10', [1, 384, 13, 13]], ['features.11', [1, 384, 13, 13]],
    ['features.12', [1, 256, 13, 13]], ['features.13', [1, 256, 13, 13]], ['features.14', [1, 256, 6, 6]],
    ['flatten', [1, 9216]],
    ['classifier.0', [1, 4096]], ['classifier.1', [1, 4096]], ['classifier.2', [1, 4096]], ['classifier.3', [1, 4096]],
    ['classifier.4', [1, 4096]], ['classifier.5', [1, 4096]], ['classifier.6', [1, 1000]],
  ],
  'keras-bn': [
    ['features.0', [1, 96, 55, 55]], ['features.1', [1, 96, 55, 55]], ['features.2', [1, 96, 55, 55]], ['features.3', [1, 96, 27, 27]],
    ['features.4', [1, 256, 27, 27]], ['features.5', [1, 256, 27, 27]], ['features.6', [1, 256, 27, 27]], ['features.7', [1, 256, 13, 13]],
    ['features.8', [1, 384, 13, 13]], ['features.9', [1, 384, 13, 13]], ['features.10', [1, 384, 13, 13]],
    ['features.11', [1, 384, 13, 13]], ['features.12', [1, 384, 13, 13]], ['features.13', [1, 384, 13, 13]],
    ['features.14', [1, 256, 13, 13]], ['features.15', [1, 256, 13, 13]], ['features.16', [1, 256, 13, 13]], ['features.17', [1, 256, 6, 6]],
    ['flatten', [1, 9216]],
    ['classifier.0', [1, 4096]], ['classifier.1', [1, 4096]], ['classifier.2', [1, 4096]], ['classifier.3', [1, 4096]],
    ['classifier.4', [1, 4096]], ['classifier.5', [1, 4096]], ['classifier.6', [1, 1000]],
  ],
  torchvision: [
    ['features.0', [1, 64, 55, 55]], ['features.1', [1, 64, 55, 55]], ['features.2', [1, 64, 27, 27]],
    ['features.3', [1, 192, 27, 27]], ['features.4', [1, 192, 27, 27]], ['features.5', [1, 192, 13, 13]],
    ['features.6', [1, 384, 13, 13]], ['features.7', [1, 384, 13, 13]], ['features.8', [1, 256, 13, 13]], ['features.9', [1, 256, 13, 13]],
    ['features.10', [1, 256, 13, 13]], ['features.11', [1, 256, 13, 13]], ['features.12', [1, 256, 6, 6]],
    ['avgpool', [1, 256, 6, 6]], ['flatten', [1, 9216]],
    ['classifier.0', [1, 9216]], ['classifier.1', [1, 4096]], ['classifier.2', [1, 4096]], ['classifier.3', [1, 4096]],
    ['classifier.4', [1, 4096]], ['classifier.5', [1, 4096]], ['classifier.6', [1, 1000]],
  ],
};

const PARAMS: Record<AlexNetPreset, number> = { paper: 60_965_224, 'keras-bn': 62_381_096, torchvision: 61_100_840 };

// the parameter names and shapes of torchvision.models.alexnet() (its state_dict)
const TORCHVISION_STATE: [string, number[]][] = [
  ['features.0.weight', [64, 3, 11, 11]], ['features.0.bias', [64]], ['features.3.weight', [192, 64, 5, 5]], ['features.3.bias', [192]],
  ['features.6.weight', [384, 192, 3, 3]], ['features.6.bias', [384]], ['features.8.weight', [256, 384, 3, 3]], ['features.8.bias', [256]],
  ['features.10.weight', [256, 256, 3, 3]], ['features.10.bias', [256]], ['classifier.1.weight', [4096, 9216]], ['classifier.1.bias', [4096]],
  ['classifier.4.weight', [4096, 4096]], ['classifier.4.bias', [4096]], ['classifier.6.weight', [1000, 4096]], ['classifier.6.bias', [1000]],
];

describe.skipIf(!gpu)('alexnet presets', () => {
  for (const preset of ['paper', 'keras-bn', 'torchvision'] as const) {
    it(`${preset}: parameter count, every layer's output shape, summary totals`, () => {
      const model = alexnet({ preset, seed: 1 });
      try {
        expect(model.numParameters()).toBe(PARAMS[preset]);
        const size = preset === 'torchvision' ? 224 : 227;
        const s = summary(model, [1, 3, size, size]);
        expect(s.rows.map((r) => [r.name, r.outputShape])).toEqual(SHAPES[preset]);
        expect(s.totalParams).toBe(PARAMS[preset]);
        expect(s.outputShape).toEqual([1, 1000]);
        expect(model.outputShape([5, 3, size, size])).toEqual([5, 1000]);
        // the forward pass of AlexNet is about 0.7 (torchvision) to 1.1-2.3 GFLOPs (multiply-add = 2)
        expect(s.totalFlops).toBeGreaterThan(1.2e9);
        expect(s.totalFlops).toBeLessThan(2.5e9);
        expect(s.text).toContain('Total params');
      } finally {
        model.dispose();
      }
    });
  }

  it('torchvision: state_dict names and shapes are exactly torchvision\'s', () => {
    const model = alexnet({ preset: 'torchvision', seed: 1 });
    expect([...model.stateDict()].map(([k, t]) => [k, [...t.shape]])).toEqual(TORCHVISION_STATE);
    model.dispose();
  });

  it('keras-bn: BatchNorm buffers are in the state dict', () => {
    const model = alexnet({ preset: 'keras-bn', numClasses: 10, seed: 1 });
    const keys = [...model.stateDict().keys()];
    expect(keys.slice(0, 6)).toEqual(['features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var']);
    expect(model.parameters().length).toBe(16 + 10);
    model.dispose();
  });

  it('rejects an unknown preset and a too-small input', () => {
    expect(() => alexnet({ preset: 'vgg' as AlexNetPreset })).toThrow(/unknown preset/);
    expect(() => alexnet({ preset: 'paper', inputSize: 40, numClasses: 2, width: 0.0625 })).toThrow(/too small/);
  });

  // Small forward + backward for each preset at reduced width (lavapipe is a CPU)
  const small: [AlexNetPreset, number][] = [['paper', 67], ['keras-bn', 67], ['torchvision', 63]];
  for (const [preset, size] of small) {
    it(`${preset}: forward and backward at ${size}x${size}, width 1/8`, async () => {
      const model = alexnet({ preset, numClasses: 5, inputSize: size, width: 0.125, seed: 7 });
      try {
        model.train();
        const { logits, loss, grads } = await tidy(async () => {
          const x = Tensor.fromArray(Float32Array.from({ length: 2 * 3 * size * size }, (_, i) => Math.sin(i * 0.37)), [2, 3, size, size]);
          const y = model.forward(x);
          const l = softmaxCrossEntropy(y, Tensor.fromArray(new Int32Array([1, 4])));
          l.backward();
          const grads = [];
          for (const [n, p] of model.namedParameters()) grads.push([n, p.grad ? await p.grad.data() : null] as const);
          return { logits: await y.data(), loss: await l.item(), grads };
        });
        expect(logits.length).toBe(10);
        expect(logits.every(Number.isFinite)).toBe(true);
        expect(Number.isFinite(loss)).toBe(true);
        for (const [n, g] of grads) {
          expect(g, `${n} has a gradient`).not.toBeNull();
          expect(g!.every(Number.isFinite), `${n} finite`).toBe(true);
        }
      } finally {
        for (const p of model.parameters()) p.grad?.dispose();
        model.dispose();
      }
    });
  }
});
