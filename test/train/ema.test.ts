// The moving average of the weights: its arithmetic against float64, the swap in and out,
// and how fit() uses it (one update per step; validation and the model at the end see it).
import { describe, expect, it } from 'vitest';

import { gpu } from '../helpers/gpu.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { Sequential } from '../../src/layers/sequential.js';
import { Linear } from '../../src/layers/linear.js';
import { ReLU } from '../../src/layers/activation.js';
import { SGD } from '../../src/optim/sgd.js';
import { LambdaCallback } from '../../src/train/callbacks.js';
import { arrayDataset, compile, evaluate, fit } from '../../src/train/index.js';
import { WeightsEMA } from '../../src/train/ema.js';
import { keep, Tensor } from '../../src/tensor/index.js';

function makeData(n: number, seed: number) {
  const x = Float32Array.from(randomArray(n * 4, seed, -2, 2));
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * 4]! + x[i * 4 + 1]! > 0 ? 1 : 0));
  return { x, y, sampleShape: [4] };
}

function makeModel() {
  const model = new Sequential(new Linear(4, 16, { seed: 7 }), new ReLU(), new Linear(16, 2, { seed: 8 }));
  const optimizer = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
  compile(model, { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

const options = () => ({
  epochs: 3, batchSize: 16, verbose: 0 as const, seed: 11,
  validationData: arrayDataset(makeData(40, 2), { shuffle: false }),
});
const trainData = () => arrayDataset(makeData(96, 1), { seed: 3 });

async function weights(model: Sequential): Promise<Float32Array[]> {
  return Promise.all([...model.stateDict().values()].map((t) => t.data()));
}

describe.skipIf(!gpu)('WeightsEMA', () => {
  it('averages with the warmed-up decay, as float64 does, and swaps in and out', async () => {
    const w = keep(Tensor.fromArray(new Float32Array(300), [300]));
    const b = keep(Tensor.fromArray(new Float32Array(7), [7]));
    const values = (k: number) => [randomArray(300, 40 + k, -1, 1), randomArray(7, 60 + k, -3, 3)];
    const set = (k: number) => {
      const [vw, vb] = values(k);
      w.device.upload(w.buffer, Float32Array.from(vw!), w.byteOffset);
      b.device.upload(b.buffer, Float32Array.from(vb!), b.byteOffset);
    };
    set(0);
    const model = { forward: (x: Tensor) => x, parameters: () => [w], stateDict: () => new Map([['w', w], ['running_mean', b]]) };
    const ema = new WeightsEMA(model, { decay: 0.8 });
    const ref = values(0).map((v) => Float64Array.from(Float32Array.from(v)));
    for (let k = 1; k <= 6; k++) {
      set(k);
      ema.update();
      const d = Math.min(0.8, k / (9 + k)); // (1 + t) / (10 + t) with t = k - 1
      values(k).forEach((v, j) => ref[j]!.forEach((r, i) => (ref[j]![i] = d * r + (1 - d) * Float32Array.from(v)[i]!)));
    }
    expect(ema.decayAt(0)).toBeCloseTo(0.1, 12);
    expect(ema.decayAt(1000)).toBe(0.8);
    expectClose(await ema.averaged('w')!.data(), ref[0]!, { atol: 1e-6, rtol: 1e-5, name: 'w' });
    expectClose(await ema.averaged('running_mean')!.data(), ref[1]!, { atol: 1e-6, rtol: 1e-5, name: 'running_mean' });
    const last = Float32Array.from(values(6)[0]!);
    ema.swapIn();
    expectClose(await w.data(), ref[0]!, { atol: 1e-6, rtol: 1e-5, name: 'swapped in' });
    expect(() => ema.update()).toThrow(/swapOut/);
    ema.swapOut();
    expect(await w.data()).toEqual(last);
    ema.dispose();
    w.dispose();
    b.dispose();
  });

  it('rejects a decay outside [0, 1)', () => {
    const t = keep(Tensor.fromArray(new Float32Array(4), [4]));
    expect(() => new WeightsEMA({ forward: (x: Tensor) => x, parameters: () => [t] }, { decay: 1 })).toThrow(/decay/);
    t.dispose();
  });

  it('in fit(): decay 0 is exactly the trained weights (one update after every step)', async () => {
    const plain = makeModel();
    const h0 = await fit(plain, trainData(), options());
    const averaged = makeModel();
    const ema = new WeightsEMA(averaged, { decay: 0, warmup: false });
    const h1 = await fit(averaged, trainData(), { ...options(), callbacks: [ema] });
    expect(h1.history['val_loss']).toEqual(h0.history['val_loss']);
    expect(await weights(averaged)).toEqual(await weights(plain));
    expect(ema.updates).toBe(3 * 6);
    ema.dispose();
  });

  it('in fit(): validation, later callbacks and the model at the end see the average', async () => {
    const model = makeModel();
    const ema = new WeightsEMA(model, { decay: 0.9 });
    let atEpochEnd: Float32Array[] = [];
    let average: Float32Array[] = [];
    const probe = new LambdaCallback({
      onEpochEnd: async () => {
        atEpochEnd = await weights(model);
        average = await Promise.all([...model.stateDict().keys()].map((k) => ema.averaged(k)!.data()));
      },
    });
    const h = await fit(model, trainData(), { ...options(), callbacks: [ema, probe] });
    expect(atEpochEnd).toEqual(average);
    // the model ends holding the average: evaluating it again gives the last logged validation
    const again = await evaluate(model, arrayDataset(makeData(40, 2), { shuffle: false }));
    expect(again.loss).toBeCloseTo(h.history['val_loss']!.at(-1)!, 5);
    const plain = makeModel();
    const h0 = await fit(plain, trainData(), options());
    expect(h.history['val_loss']!.at(-1)).not.toBe(h0.history['val_loss']!.at(-1));
    ema.dispose();
  });
});
