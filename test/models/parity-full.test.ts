// Parity with PyTorch at full size: each preset at full width and its default input (227 px,
// torchvision 224), batch 1, eval mode, against PyTorch's logits (`full.logits` in
// test/fixtures/alexnet_<preset>.safetensors). The 61M weights are not stored: both sides
// generate them from the parameter names (src/io/hashinit.ts, test/models/fixture.ts).
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { hashInit } from '../../src/io/hashinit.js';
import { alexnet, ALEXNET_PRESETS } from '../../src/models/alexnet.js';
import { noGrad, Tensor, tidy } from '../../src/tensor/index.js';
import { initState, loadFixture, logitsErr } from './fixture.js';

/** measured on lavapipe: 2e-5 (paper) or less; the parity test's logits tolerance */
const TOL = 1e-3;

describe.skipIf(!gpu)('AlexNet parity with PyTorch at full size (eval, batch 1)', () => {
  for (const preset of ALEXNET_PRESETS) {
    it(`${preset}: full-width logits at the default input size`, { timeout: 600_000 }, async () => {
      const fx = loadFixture(`alexnet_${preset}.safetensors`);
      const { input_shape: shape } = fx.json<{ input_shape: number[] }>('full');
      expect(shape).toEqual([1, 3, preset === 'torchvision' ? 224 : 227, preset === 'torchvision' ? 224 : 227]);
      const model = alexnet({ preset, numClasses: Number(fx.meta['num_classes']), init: 'none' });
      try {
        expect(model.config.inputSize).toBe(shape[2]);
        expect(model.numParameters()).toBeGreaterThan(50_000_000);
        model.loadStateDict(initState(model));
        model.eval();
        const n = shape.reduce((a, b) => a * b, 1);
        const logits = await tidy(async () => {
          const x = Tensor.fromArray(hashInit('input', n, Number(fx.meta['input_scale'])), shape);
          return noGrad(() => model.forward(x)).data();
        });
        const err = logitsErr(logits, fx.f32('full.logits'));
        console.log(`${preset} at ${shape[2]} px: logits max rel err ${err.toExponential(2)}`);
        expect(err).toBeLessThan(TOL);
        // the layers PyTorch saw at this size (LRN and its alpha term, BatchNorm) change the logits by >= 1 %
        for (const [k, v] of Object.entries(fx.json<{ full_eval: Record<string, number> }>('effects').full_eval)) {
          expect(v, k).toBeGreaterThanOrEqual(0.01);
        }
      } finally {
        model.dispose();
      }
    });
  }
});
